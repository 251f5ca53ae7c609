/**
 * Choosing the tfjs backend inside the worker by measurement, not by "first that initialises": on a machine
 * without a GPU, WebGPU and WebGL run in software (SwiftShader) and are far slower than wasm.
 *
 * Each candidate must initialise, pass a tiny numeric self-check, and then runs a few TD3 updates of the
 * run's network and batch sizes; the fastest wins.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { Random } from '../common/random';
import { configureTfjsWebgpu, type GpuAdapterLike, isSoftwareAdapter } from '../compute/gpuAdapter';
import { enableKernelThreads } from '../compute/wasmKernels';
import { sharedMemoryBinary } from '../compute/wasmSharedMemory';
import type { HelperSpawner } from '../compute/wasmThreads';
import { readAsBackendWants, readsAsynchronously } from '../rl/deviceReads';
import type { Config } from '../rl/hyperparameters';
import { type Batch, TD3 } from '../rl/td3';
import { buildGpuPrograms } from './gpuPrograms';
import { BACKENDS, type BackendName } from './protocol';
import type { BackendChooser } from './trainingHost';

// The threaded wasm build spawns its pthreads from an inlined script that breaks once bundled and minified,
// and measured no faster than single-threaded SIMD on the TD3 update (shared/BROWSER.md). More than one
// core comes instead from our own helper threads (src/compute/wasmThreads.ts) on the SIMD build.
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
};
setWasmPaths(wasmPaths);

/** Helper threads for the wasm kernels: one per further core, up to 3; none without cross-origin isolation. */
const WASM_HELPERS = Math.max(0, Math.min(3, (navigator.hardwareConcurrency || 1) - 1));

/** A helper thread for the wasm kernels, as a Web Worker started from the helper's source. */
const spawnHelperWorker: HelperSpawner = (source, init) =>
  new Promise((resolve, reject) => {
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const worker = new Worker(url);
    worker.onerror = (event) => reject(new Error(event.message || 'the helper worker failed to start'));
    worker.onmessage = () => {
      URL.revokeObjectURL(url);
      resolve({ terminate: () => worker.terminate() });
    };
    worker.postMessage(init);
  });

let wasmPrepared = false;
let wasmThreadsNote = '';

/**
 * Before wasm first starts: where helper threads can work (cross-origin isolated, so memory can be shared),
 * tfjs-wasm loads its SIMD build with a shared memory (src/compute/wasmSharedMemory.ts), from a blob URL.
 */
async function prepareWasm(): Promise<void> {
  if (wasmPrepared) return;
  wasmPrepared = true;
  if (WASM_HELPERS === 0 || !self.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') {
    wasmThreadsNote = self.crossOriginIsolated ? 'one core' : 'one thread (not cross-origin isolated)';
    return;
  }
  try {
    const original = new Uint8Array(await (await fetch(wasmSimdUrl)).arrayBuffer());
    const shared = new Blob([sharedMemoryBinary(original)], { type: 'application/wasm' });
    setWasmPaths({ ...wasmPaths, 'tfjs-backend-wasm-simd.wasm': URL.createObjectURL(shared) });
  } catch (error) {
    wasmThreadsNote = `one thread (${(error as Error).message})`;
  }
}

/** Starts the helper threads once wasm runs; the note says how many threads run each product. */
async function startWasmThreads(): Promise<void> {
  if (wasmThreadsNote) return;
  try {
    const threads = await enableKernelThreads(WASM_HELPERS, spawnHelperWorker);
    wasmThreadsNote = threads > 1 ? `${threads} threads` : 'one thread (memory not shared)';
  } catch (error) {
    wasmThreadsNote = `one thread (${(error as Error).message})`;
  }
}

/** How the wasm products run: '2 threads', 'one thread (…)'; empty before wasm has started. */
export function wasmThreadsInUse(): string {
  return wasmThreadsNote;
}

/** A backend slower than this on its first (warm-up) pass is not timed further. */
const WARMUP_LIMIT_MS = 1500;

interface Trial {
  name: BackendName;
  msPerPass: number | null;
  note: string;
}

/** Starts backend `name` as the product sets it up; null when it works, else what went wrong. */
export async function activateBackend(name: BackendName): Promise<string | null> {
  try {
    if (name === 'wasm') await prepareWasm();
    if (name === 'webgpu') {
      const adapter = await webgpuAdapter();
      if (adapter) configureTfjsWebgpu(adapter);
    }
    if (!(await tf.setBackend(name))) return 'did not initialise';
    await tf.ready();
    if (name === 'wasm') await startWasmThreads();
  } catch (error) {
    return `failed to initialise (${(error as Error).message})`;
  }
  return selfCheck();
}

/**
 * [[1, 2], [3, 4]] · [[5], [6]] = [[17], [39]], read back as training will read this backend: asynchronously
 * (GPU backends, src/rl/deviceReads.ts), and on the others also synchronously. tfjs-webgpu reads
 * synchronously through a canvas, which returns zeros on some adapters (SwiftShader here) though the
 * arithmetic is right: training never reads it that way.
 */
async function selfCheck(): Promise<string | null> {
  const product = () =>
    tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([[5], [6]]),
    );
  const right = (values: ArrayLike<number>) =>
    Math.abs(values[0] - 17) <= 1e-4 && Math.abs(values[1] - 39) <= 1e-4;
  const asynchronous = tf.tidy(product);
  const computed = await asynchronous.data();
  asynchronous.dispose();
  if (!right(computed)) return 'failed the numeric self-check';
  if (readsAsynchronously()) return null;
  let read: ArrayLike<number>;
  try {
    read = tf.tidy(() => product().dataSync());
  } catch (error) {
    return `computes correctly, but reading results synchronously fails (${(error as Error).message})`;
  }
  if (!right(read))
    return 'computes correctly, but synchronous reads (which training on this backend uses) return wrong values here';
  return null;
}

/**
 * The real workload: a TD3 agent of the run's network and batch sizes (20 observation and 4 action
 * dimensions, a middling env), trained on a fixed random batch. Each pass is one update, synced.
 */
function trialAgent(config: Config): { pass: () => Promise<void>; dispose: () => void } {
  const space = { observationSize: 20, actionSize: 4, actionLow: [-1, -1, -1, -1], actionHigh: [1, 1, 1, 1] };
  const agent = new TD3(space, config, 0);
  const rng = new Random(0);
  const n = config.batchSize;
  const fill = (size: number) => Float32Array.from({ length: size }, () => rng.uniformRange(-1, 1));
  const batch: Batch = {
    size: n,
    observations: fill(n * 20),
    actions: fill(n * 4),
    rewards: fill(n),
    nextObservations: fill(n * 20),
    notDone: new Float32Array(n).fill(1),
  };
  return {
    // Statistics are read back (as training reads this backend), so the pass waits for the device to finish.
    pass: async () => {
      await readAsBackendWants(agent.trainRead(batch, true));
    },
    dispose: () => agent.dispose(),
  };
}

type NavigatorGpu = { requestAdapter(): Promise<GpuAdapterLike | null> };

function navigatorGpu(): NavigatorGpu | undefined {
  return (navigator as Navigator & { gpu?: NavigatorGpu }).gpu;
}

/** The adapter tfjs-webgpu will be given (it asks for the same default adapter); null when there is none. */
async function webgpuAdapter(): Promise<GpuAdapterLike | null> {
  return (await navigatorGpu()?.requestAdapter()) ?? null;
}

/**
 * A software GPU (SwiftShader, a fallback adapter) is never faster than wasm on the same CPU: skip it without
 * paying its shader compilation. `?backend=` still forces it.
 */
async function softwareGpu(name: BackendName): Promise<string | null> {
  try {
    if (name === 'webgpu') {
      if (!navigatorGpu()) return 'not available (no navigator.gpu)';
      const adapter = await webgpuAdapter();
      if (!adapter) return 'not available (no adapter)';
      if (isSoftwareAdapter(adapter)) return 'skipped: software adapter (SwiftShader)';
    }
    if (name === 'webgl') {
      const canvas = new OffscreenCanvas(1, 1);
      const gl = canvas.getContext('webgl2');
      if (!gl) return 'not available (no WebGL2)';
      const debug = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(
        gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER),
      ).toLowerCase();
      if (renderer.includes('swiftshader') || renderer.includes('llvmpipe')) {
        return 'skipped: software renderer (SwiftShader)';
      }
    }
  } catch (error) {
    return `not available (${(error as Error).message})`;
  }
  return null;
}

async function measure(name: BackendName, config: Config): Promise<Trial> {
  const software = await softwareGpu(name);
  if (software) return { name, msPerPass: null, note: software };
  const problem = await activateBackend(name);
  if (problem) return { name, msPerPass: null, note: problem };
  const trial = trialAgent(config);
  try {
    let start = performance.now();
    await trial.pass();
    await trial.pass(); // the first delayed actor update too
    const warmup = performance.now() - start;
    if (warmup > WARMUP_LIMIT_MS) {
      return { name, msPerPass: warmup, note: `slow (${warmup.toFixed(0)} ms warm-up)` };
    }
    const passes = 4;
    start = performance.now();
    for (let i = 0; i < passes; i++) await trial.pass();
    const ms = (performance.now() - start) / passes;
    const threads = name === 'wasm' ? ` on ${wasmThreadsInUse()}` : '';
    return { name, msPerPass: ms, note: `${ms.toFixed(1)} ms/update${threads}` };
  } finally {
    trial.dispose();
  }
}

export const measuredBackends: BackendChooser = {
  prepare: buildGpuPrograms,
  async fallback(failed) {
    const problems: string[] = [];
    for (const name of BACKENDS.slice(BACKENDS.indexOf(failed) + 1)) {
      const problem = await activateBackend(name);
      if (!problem) return { name, reason: `${name} is the next that works` };
      problems.push(`${name} ${problem}`);
    }
    throw new Error(`no backend after ${failed} works (${problems.join('; ') || 'none left'})`);
  },
  async choose(requested, config) {
    if (requested) {
      const problem = await activateBackend(requested);
      const threads = requested === 'wasm' ? ` (${wasmThreadsInUse()})` : '';
      if (!problem) return { name: requested, reason: `${requested} chosen by you${threads}` };
      const fallback = await this.choose(undefined, config);
      return { ...fallback, reason: `${requested} ${problem}; ${fallback.reason}` };
    }
    const trials: Trial[] = [];
    for (const name of BACKENDS) {
      // The pure-JavaScript backend runs on the same CPU as wasm, without SIMD: never the faster one.
      if (name === 'cpu' && trials.some((t) => t.name === 'wasm' && t.msPerPass !== null)) {
        trials.push({
          name,
          msPerPass: null,
          note: 'not measured (wasm works and is faster on the same CPU)',
        });
        continue;
      }
      trials.push(await measure(name, config));
    }
    const working = trials.filter((t): t is Trial & { msPerPass: number } => t.msPerPass !== null);
    if (!working.length)
      throw new Error(`No tfjs backend works here: ${trials.map((t) => `${t.name} ${t.note}`).join('; ')}`);
    working.sort((a, b) => a.msPerPass - b.msPerPass);
    const best = working[0];
    if (!(await tf.setBackend(best.name)))
      throw new Error(`${best.name} stopped working after its measurement`);
    return {
      name: best.name,
      reason: `fastest at start-up: ${trials.map((t) => `${t.name} ${t.note}`).join(', ')}`,
    };
  },
};
