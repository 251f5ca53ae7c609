/**
 * `npm run train`: one reproducible training run in Node, with a progress bar, JSONL metrics and a summary.
 * Exit codes: 0 done, 1 training stopped (divergence, env error), 2 bad command line or configuration.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { envSpec } from '../envs';
import { configFromPreset, presetAvailable } from '../rl/presets';
import { kernelThreadCount } from '../rl/wasmKernels';
import type { EvalRecord, MetricRecord, SummaryRecord } from '../train/metrics';
import { TrainingSession } from '../train/session';
import { parseTrainArgs, trainUsage, UsageError } from './args';
import { activateNodeBackend } from './backend';
import { ProgressBar } from './progressBar';
import { isScript } from './script';

/** A run's outcome, printed as the last line and written as the last JSONL record. */
export type RunSummary = SummaryRecord;

/** One training run from the train command's flags; resolves to its exit code (the sweep's lanes call it too). */
export async function runTrain(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseTrainArgs>;
  try {
    args = parseTrainArgs(argv);
    if (args.help) {
      console.log(trainUsage());
      return 0;
    }
    const env = args.overrides.env ?? 'Pendulum-v1';
    envSpec(env); // an unknown id fails here, with the list of known ones
    if (!presetAvailable(args.preset, env))
      throw new UsageError(`--preset ${args.preset} has no values for ${env}`);
  } catch (error) {
    return usageFailure(error);
  }

  let config: ReturnType<typeof configFromPreset>;
  try {
    config = configFromPreset(args.preset, args.overrides);
  } catch (error) {
    return usageFailure(error);
  }

  let backend: string;
  try {
    backend = await activateNodeBackend(args.backend, args.threads);
  } catch (error) {
    return usageFailure(error);
  }
  const threads = kernelThreadCount();
  console.error(
    `tfjs backend: ${backend}${backend === 'wasm' ? ` (products on ${threads} thread${threads > 1 ? 's' : ''})` : ''}`,
  );
  console.error(`${config.env}, preset ${args.preset}, seed ${config.seed}, ${config.totalSteps} steps`);

  let out: WriteStream | null = null;
  if (args.out) {
    mkdirSync(dirname(args.out), { recursive: true });
    out = createWriteStream(args.out);
  }
  let lastEval: EvalRecord | null = null;
  let bestEval: number | null = null;
  const bar = args.quiet ? null : new ProgressBar(config.totalSteps);
  const onRecord = (record: MetricRecord): void => {
    out?.write(`${JSON.stringify(record)}\n`);
    if (record.type === 'eval') {
      lastEval = record;
      bestEval = Math.max(bestEval ?? -Infinity, record.mean);
      bar?.log(`step ${record.step}: eval return ${record.mean.toFixed(1)} ± ${record.std.toFixed(1)}`);
    } else if (record.type === 'stopped') {
      bar?.log(`stopped: ${record.reason}`);
    }
  };

  const start = performance.now();
  const session = await TrainingSession.create(config, onRecord);
  while (!session.done) {
    session.runFor(250);
    // Let the event loop run between chunks: the JSONL stream flushes and Ctrl-C is heard.
    await new Promise((resolve) => setImmediate(resolve));
    bar?.update(session.step, (lastEval as EvalRecord | null)?.mean ?? null);
  }
  bar?.finish();
  const summary: RunSummary = {
    type: 'summary',
    ...(args.variant === undefined ? {} : { variant: args.variant }),
    env: config.env,
    preset: args.preset,
    seed: config.seed,
    steps: session.step,
    episodes: session.episodes,
    wallSeconds: (performance.now() - start) / 1000,
    backend,
    finalEval: (lastEval as EvalRecord | null)?.mean ?? null,
    bestEval,
    stoppedReason: session.stoppedReason,
  };
  session.dispose();
  if (out) {
    const stream = out;
    stream.write(`${JSON.stringify(summary)}\n`);
    await new Promise<void>((resolve) => stream.end(resolve));
  }
  console.log(JSON.stringify(summary));
  return session.stoppedReason ? 1 : 0;
}

function usageFailure(error: unknown): number {
  console.error(`error: ${(error as Error).message}`);
  if (error instanceof UsageError) console.error('Run `npm run train -- --help` for the flags.');
  return 2;
}

// Run only as a script (`npm run train`), not when the sweep's lane (src/cli/trainLane.ts) imports runTrain.
if (isScript(import.meta.url)) {
  runTrain(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
