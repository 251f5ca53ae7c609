/** The shape of `bench/results/latest.json` (also what the browser worker sends back for its part). */
import type { PopulationRun } from './population';
import type { Summary } from './stats';
import type { UpdateCase, UpdateTiming } from './updateTiming';

/** The tfjs backends the bench times in the browser's worker. */
export const BROWSER_BACKENDS = ['wasm', 'webgl', 'webgpu'] as const;

export const BENCH_PARTS = [
  'torch',
  'node',
  'browser',
  'page',
  'envs',
  'session',
  'memory',
  'population',
] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

/** One backend's TD3 update figures, Node or browser. */
export interface BackendRun {
  where: 'node' | 'browser';
  backend: string;
  /** Set when the backend could not run at all. */
  error: string | null;
  /** What the backend actually ran on (wasm SIMD/threads, GPU adapter or renderer). */
  details: string;
  timings: (UpdateTiming & { ratioToTorch: number | null })[];
}

export interface TorchCaseResult extends Summary {
  obs: number;
  act: number;
  hidden: number;
  batch: number;
}

export interface TorchRun {
  available: boolean;
  error: string | null;
  version: string | null;
  blas: string | null;
  threads: number | null;
  /** What it ran on: 'cpu', or the GPU's name with --device cuda. */
  device?: string | null;
  results: (TorchCaseResult & { name: string })[];
}

/** The page while it trains (src/cli/bench/page.ts). */
export interface PageRun {
  name: string;
  /** Length of the measured window. */
  seconds: number;
  frames: number;
  /** Frame intervals, ms. */
  p50: number;
  p95: number;
  /** Main-thread tasks over 50 ms in the window. */
  longTasks: number;
  longestTask: number;
  /** Env steps/s of the worker over the window. */
  stepsPerSec: number;
  /** The badge: backend, and why it was chosen. */
  backend: string;
  error: string | null;
}

export interface EnvRun extends Summary {
  id: string;
  steps: number;
  /** Env steps/s divided by PyTorch's Pendulum-size updates/s. */
  ratioToTorch: number | null;
  error: string | null;
}

export interface SessionRun extends Summary {
  env: string;
  preset: string;
  backend: string;
  hidden: number;
  batch: number;
  stepsPerRepeat: number;
  /** Against PyTorch's update at the session's own sizes (one update per env step, so an upper bound). */
  ratioToTorch: number | null;
  torchCase: UpdateCase | null;
}

export interface MemoryCheckpoint {
  updates: number;
  numTensors: number;
  numBytes: number;
  heapUsedBytes: number;
}

export interface MemoryRun {
  backend: string;
  hidden: number;
  batch: number;
  updates: number;
  checkpoints: MemoryCheckpoint[];
  tensorDrift: number;
  heapDriftBytes: number;
  /** Heap change between the first and last checkpoint, per 1,000 updates. */
  heapDriftPer1kBytes: number;
}

export interface Machine {
  cpu: string;
  cores: number;
  os: string;
  node: string;
  tfjs: string;
  torch: string | null;
  torchBlas: string | null;
  chromium: string | null;
  loadAverage: number[];
}

export interface BenchResults {
  date: string;
  quick: boolean;
  parts: BenchPart[];
  machine: Machine;
  settings: {
    hidden: number;
    batch: number;
    updates: number;
    /** Untimed updates before the timed ones (PyTorch and wasm). */
    warmup: number;
    repeats: number;
    browserCapS: number;
  };
  torch: TorchRun | null;
  /** PyTorch on every core (up to the wasm kernels' thread count), for comparison; not the reference. */
  torchAllCores: TorchRun | null;
  /** PyTorch on the GPU (CUDA), for comparison with webgpu where the machine has one; absent elsewhere. */
  torchGpu?: TorchRun | null;
  backends: BackendRun[];
  page: PageRun[] | null;
  envs: EnvRun[] | null;
  session: SessionRun | null;
  memory: MemoryRun | null;
  /** Many agents at once: one after another and batched (src/rl/population.ts). */
  population?: PopulationRun | null;
  /**
   * The same on the GPU backends: Node's webgpu (Dawn), then the browser's worker on webgl and webgpu
   * (SwiftShader where there is no GPU).
   */
  populationGpu?: PopulationRun[] | null;
  notes: string[];
}
