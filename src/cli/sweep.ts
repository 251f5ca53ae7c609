/**
 * `npm run sweep`: many training runs at once (variants × seeds), in parallel processes, one per core, each
 * taking runs one after another (src/cli/trainLane.ts); then a table per variant, like the paper's ablation
 * (Table 2). Each run is an ordinary `npm run train` run with its own JSONL file, so any run can be inspected
 * or repeated alone.
 *
 *   npm run sweep -- --env Pendulum-v1 --preset quick --steps 20000 --seeds 5 --variants td3,no-twin,ddpg
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseTrainArgs } from './args';
import { summarizeRun } from './report';
import { isScript } from './script';
import type { LaneReply, LaneRequest } from './trainLane';

const LANE_SCRIPT = fileURLToPath(new URL('./trainLane.ts', import.meta.url));
/** Lanes run under tsx's loader, as `npm run train` does. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Each variant switches tricks off on top of the chosen preset (the paper's ablation rows). */
export const VARIANTS: Record<string, string[]> = {
  td3: [],
  'no-twin': ['--no-twin'],
  'no-delay': ['--delay', '1'],
  'no-smoothing': ['--no-smoothing'],
  ddpg: ['--no-twin', '--delay', '1', '--no-smoothing'],
};

export interface SweepArgs {
  seeds: number[];
  variants: string[];
  parallel: number;
  outDir: string;
  /** Flags passed to every run (env, preset, steps, any schema field). */
  trainFlags: string[];
}

export function parseSweepArgs(argv: string[]): SweepArgs {
  const args: SweepArgs = {
    seeds: [0, 1, 2, 3, 4],
    variants: ['td3'],
    parallel: availableParallelism(),
    outDir: 'runs/sweep',
    trainFlags: [],
  };
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
    } else if (flag === '--out-dir') {
      args.outDir = value();
    } else if (flag === '--seed' || flag === '--out' || flag === '--no-twin' || flag === '--no-smoothing') {
      throw new Error(`${flag} is set by the sweep itself (use --seeds, --variants, --out-dir)`);
    } else {
      args.trainFlags.push(flag);
    }
  }
  // Fail now, with the train command's own message, rather than once per run.
  parseTrainArgs(args.trainFlags);
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

const fmt = (v: number | null) => (v === null || Number.isNaN(v) ? '—' : v.toFixed(1));

function meanStd(values: number[]): string {
  if (!values.length) return '—';
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const s = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
  return `${fmt(m)} ± ${fmt(s)}`;
}

export async function sweep(
  args: SweepArgs,
): Promise<{ table: string; wallSeconds: number; failures: number }> {
  mkdirSync(args.outDir, { recursive: true });
  // The cores are shared out: runs side by side each get the cores left to them for their products (one
  // each when there are as many runs as cores), unless --threads says otherwise.
  const threads = args.trainFlags.some((flag) => flag === '--threads' || flag.startsWith('--threads='))
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
          ...VARIANTS[variant],
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
  const worker = async () => {
    let lane = new Lane();
    while (next < jobs.length) {
      const job = jobs[next++];
      if (lane.exited) lane = new Lane();
      if ((await lane.run(job)) !== 0) failures++;
      done++;
      process.stderr.write(`\r${done}/${jobs.length} runs done`);
    }
    await lane.close();
  };
  await Promise.all(Array.from({ length: Math.min(args.parallel, jobs.length) }, worker));
  process.stderr.write('\n');
  const wallSeconds = (performance.now() - start) / 1000;

  const lines = [
    '| variant | runs | final eval (mean ± std) | best eval (mean ± std) |',
    '|---|---|---|---|',
  ];
  for (const variant of args.variants) {
    const rows = jobs
      .filter((j) => j.variant === variant)
      .flatMap((j) => {
        try {
          return [summarizeRun(j.out, readFileSync(j.out, 'utf8'), null)];
        } catch {
          return [];
        }
      });
    const finals = rows.flatMap((r) => (r.finalEval === null ? [] : [r.finalEval]));
    const bests = rows.flatMap((r) => (r.bestEval === null ? [] : [r.bestEval]));
    lines.push(`| ${variant} | ${rows.length} | ${meanStd(finals)} | ${meanStd(bests)} |`);
  }
  return { table: lines.join('\n'), wallSeconds, failures };
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
  console.error(
    `${total} runs (${args.variants.join(', ')} × seeds ${args.seeds.join(', ')}), ${args.parallel} at a time`,
  );
  const { table, wallSeconds, failures } = await sweep(args);
  console.log(table);
  console.log(`\n${total} runs in ${wallSeconds.toFixed(0)} s wall time, ${args.parallel} in parallel`);
  return failures ? 1 : 0;
}

// Run only as a script (`npm run sweep`), not when a test imports the functions above.
if (isScript(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
