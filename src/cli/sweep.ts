/**
 * `npm run sweep`: many training runs at once (variants × seeds), in parallel processes, one per core, each
 * taking runs one after another (src/cli/trainLane.ts); then a table per variant, like the paper's ablation
 * (Table 2). Each run is an ordinary `npm run train` run with its own JSONL file, so any run can be inspected
 * or repeated alone. On a GPU (--backend webgpu) the runs train instead as batched populations in this process
 * (src/cli/sweepPopulation.ts), writing the same files.
 *
 *   npm run sweep -- --env Pendulum-v1 --preset quick --steps 20000 --seeds 5 --variants td3,no-twin,ddpg
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { POPULATION_MAX } from '../lab/populationGroup';
import { resultsMarkdown, variantResults } from '../lab/results';
import { type LabRun, parseRunJsonl } from '../lab/runs';
import { NAMED_VARIANTS, type Variant, variantFlags } from '../lab/variants';
import { DEFAULT_CONFIG } from '../rl/hyperparameters';
import { parseTrainArgs } from './args';
import { isScript } from './script';
import { populationFlagProblem, trainAsPopulations } from './sweepPopulation';
import type { LaneReply, LaneRequest } from './trainLane';

const LANE_SCRIPT = fileURLToPath(new URL('./trainLane.ts', import.meta.url));
/** Lanes run under tsx's loader, as `npm run train` does. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Variants by id: the ablation's rows and TD3 with one extension (src/lab/variants.ts), each setting all three tricks. */
export const VARIANTS: Record<string, Variant> = NAMED_VARIANTS;

export interface SweepArgs {
  seeds: number[];
  variants: string[];
  parallel: number;
  outDir: string;
  /** Eval return for the table's "steps to threshold" column; null leaves it empty. */
  threshold: number | null;
  /** Flags passed to every run (env, preset, steps, any schema field). */
  trainFlags: string[];
  /** Train the runs as batched populations in this process; by default on webgpu, as the lab on a GPU. */
  population: boolean;
}

/** Flags each run gets from the sweep: its seed, its file, its variant's three switches. */
const SET_BY_SWEEP = new Set([
  '--seed',
  '--out',
  '--variant',
  '--no-twin',
  '--twin-critics',
  '--twinCritics',
  '--no-twin-critics',
  '--delay',
  '--policy-delay',
  '--policyDelay',
  '--no-smoothing',
  '--target-smoothing',
  '--targetSmoothing',
  '--no-target-smoothing',
]);

export function parseSweepArgs(argv: string[]): SweepArgs {
  const args: SweepArgs = {
    seeds: [0, 1, 2, 3, 4],
    variants: ['td3'],
    parallel: availableParallelism(),
    outDir: 'runs/sweep',
    threshold: null,
    trainFlags: [],
    population: false,
  };
  let population: boolean | null = null;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--seeds') {
      const text = value();
      args.seeds = text.includes(',')
        ? text.split(',').map(Number)
        : Array.from({ length: Number(text) }, (_, k) => k);
      if (!args.seeds.length || args.seeds.some((s) => !Number.isInteger(s) || s < 0)) {
        throw new Error(`--seeds ${text}: a count or a comma list of non-negative integers`);
      }
    } else if (flag === '--variants') {
      args.variants = value().split(',');
      const unknown = args.variants.filter((v) => !(v in VARIANTS));
      if (unknown.length) {
        throw new Error(
          `unknown variant ${unknown.join(', ')}: known are ${Object.keys(VARIANTS).join(', ')}`,
        );
      }
    } else if (flag === '--parallel') {
      args.parallel = Number(value());
      if (!Number.isInteger(args.parallel) || args.parallel < 1)
        throw new Error('--parallel takes a positive integer');
    } else if (flag === '--population' || flag === '--no-population') {
      population = flag === '--population';
    } else if (flag === '--out-dir') {
      args.outDir = value();
    } else if (flag === '--threshold') {
      const text = value();
      args.threshold = Number(text);
      if (text.trim() === '' || !Number.isFinite(args.threshold))
        throw new Error(`--threshold ${text}: expected a number (an eval return)`);
    } else if (SET_BY_SWEEP.has(flag.split('=')[0])) {
      throw new Error(
        `${flag} is set by the sweep itself (use --seeds, --variants, --out-dir; each variant sets the three tricks)`,
      );
    } else {
      args.trainFlags.push(flag);
    }
  }
  // Fail now, with the train command's own message, rather than once per run.
  const train = parseTrainArgs(args.trainFlags);
  args.population = population ?? train.backend === 'webgpu';
  const problem = args.population ? populationFlagProblem(args.trainFlags) : null;
  if (problem) throw new Error(problem);
  return args;
}

interface Job {
  variant: string;
  seed: number;
  out: string;
  args: string[];
}

/**
 * A process that runs jobs one after another (src/cli/trainLane.ts): a run after the first skips the process
 * start. A run that fails is reported with what it wrote to stderr; a lane that dies is replaced.
 */
class Lane {
  private readonly child: ChildProcess;
  private stderr = '';
  private waiting: ((code: number) => void) | null = null;
  private readonly exit: Promise<void>;
  exited = false;

  constructor() {
    this.child = spawn(process.execPath, ['--import', TSX_LOADER, LANE_SCRIPT], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr?.on('data', (chunk) => {
      this.stderr += String(chunk);
    });
    this.child.on('message', (reply: LaneReply) => this.settle(reply.code));
    this.exit = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.exited = true;
        this.settle(code || 1);
        resolve();
      }),
    );
  }

  run(job: Job): Promise<number> {
    this.stderr = '';
    return new Promise((resolve) => {
      this.waiting = (code) => {
        if (code !== 0)
          process.stderr.write(`${job.variant} seed ${job.seed} failed (exit ${code}):\n${this.stderr}\n`);
        resolve(code);
      };
      this.child.send({ args: job.args } satisfies LaneRequest);
    });
  }

  /** No more jobs: the lane exits once its last run has finished. */
  close(): Promise<void> {
    if (!this.exited) this.child.send({ done: true } satisfies LaneRequest);
    return this.exit;
  }

  private settle(code: number): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.(code);
  }
}

export async function sweep(
  args: SweepArgs,
): Promise<{ table: string; wallSeconds: number; failures: number }> {
  mkdirSync(args.outDir, { recursive: true });
  // The cores are shared out: runs side by side each get the cores left to them for their products (one
  // each when there are as many runs as cores), unless --threads says otherwise.
  // A population sweep is one process, with every core.
  const threads =
    args.population || args.trainFlags.some((flag) => flag === '--threads' || flag.startsWith('--threads='))
      ? []
      : ['--threads', String(Math.max(1, Math.floor(availableParallelism() / args.parallel)))];
  const jobs: Job[] = args.variants.flatMap((variant) =>
    args.seeds.map((seed) => {
      const out = join(args.outDir, `${variant}-s${seed}.jsonl`);
      return {
        variant,
        seed,
        out,
        args: [
          ...args.trainFlags,
          ...threads,
          ...variantFlags(VARIANTS[variant]),
          '--variant',
          VARIANTS[variant].label,
          '--seed',
          String(seed),
          '--quiet',
          '--out',
          out,
        ],
      };
    }),
  );
  const start = performance.now();
  let next = 0;
  let done = 0;
  let failures = 0;
  const progress = (n: number) => process.stderr.write(`\r${n}/${jobs.length} runs done`);
  const worker = async () => {
    let lane = new Lane();
    while (next < jobs.length) {
      const job = jobs[next++];
      if (lane.exited) lane = new Lane();
      if ((await lane.run(job)) !== 0) failures++;
      progress(++done);
    }
    await lane.close();
  };
  if (args.population) failures = await trainAsPopulations(jobs, progress);
  else await Promise.all(Array.from({ length: Math.min(args.parallel, jobs.length) }, worker));
  process.stderr.write('\n');
  const wallSeconds = (performance.now() - start) / 1000;

  // The same results table as the lab's (src/lab/results.ts); a run that failed counts as unfinished.
  const runs: LabRun[] = jobs.map((job) => {
    try {
      const parsed = parseRunJsonl(job.out, readFileSync(job.out, 'utf8'));
      if (parsed.ok) return parsed.run;
    } catch {
      // no file: the run failed before writing one
    }
    return failedRun(job);
  });
  const table = resultsMarkdown(variantResults(runs, args.threshold), args.threshold);
  return { table, wallSeconds, failures };
}

/** A run that wrote no readable records: it still counts in its variant's row, as not finished. */
function failedRun(job: Job): LabRun {
  return {
    id: job.out,
    variant: VARIANTS[job.variant].label,
    seed: job.seed,
    config: { ...DEFAULT_CONFIG, seed: job.seed },
    records: [],
    state: 'failed',
    step: 0,
    wallSeconds: null,
    reason: 'the run failed',
    source: 'file',
  };
}

async function main(argv: string[]): Promise<number> {
  let args: SweepArgs;
  try {
    args = parseSweepArgs(argv);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
  const total = args.seeds.length * args.variants.length;
  const how = args.population
    ? `as batched populations of up to ${POPULATION_MAX} in one process`
    : `${args.parallel} at a time`;
  console.error(`${total} runs (${args.variants.join(', ')} × seeds ${args.seeds.join(', ')}), ${how}`);
  const { table, wallSeconds, failures } = await sweep(args);
  console.log(table);
  console.log(`\n${total} runs in ${wallSeconds.toFixed(0)} s wall time, ${how}`);
  return failures ? 1 : 0;
}

// Run only as a script (`npm run sweep`), not when a test imports the functions above.
if (isScript(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
