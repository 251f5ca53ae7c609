/**
 * `npm run train`: one reproducible training run in Node, with a progress bar, JSONL metrics and a summary.
 * Exit codes: 0 done, 1 training stopped (divergence, env error), 2 bad command line or configuration.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { kernelThreadCount } from '../compute/wasmKernels';
import { envSpec } from '../envs';
import { readAsBackendWants, readsAsynchronously } from '../rl/deviceReads';
import { type Config, parseConfig } from '../rl/hyperparameters';
import { exportPolicy, WEIGHTS_FILE } from '../rl/policyExport';
import { configFromPreset, presetAvailable } from '../rl/presets';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from '../train/checkpointFile';
import { EvalOutcome, type MetricRecord, type SummaryRecord } from '../train/metrics';
import { TrainingSession } from '../train/session';
import { parseTrainArgs, trainUsage, UsageError } from './args';
import { activateNodeBackend, webgpuAdapterInUse } from './backend';
import { ProgressBar } from './progressBar';
import { isScript } from './script';

/** A run's outcome, printed as the last line and written as the last JSONL record. */
export type RunSummary = SummaryRecord;

/** One training run from the train command's flags; resolves to its exit code (the sweep's lanes call it too). */
export async function runTrain(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseTrainArgs>;
  let resumed: Checkpoint | null = null;
  let config: Config;
  try {
    args = parseTrainArgs(argv);
    if (args.help) {
      console.log(trainUsage());
      return 0;
    }
    if (args.resume) {
      resumed = await readCheckpoint(args.resume);
      // A resumed run keeps its settings; only its length may grow.
      const changed = Object.keys(args.overrides).filter((name) => name !== 'totalSteps');
      if (changed.length)
        throw new UsageError(
          `--resume keeps the run's settings; only --steps may be given with it (not ${changed.join(', ')})`,
        );
      config = parseConfig({ ...resumed.state.config, ...args.overrides });
      if (config.totalSteps < resumed.state.step)
        throw new UsageError(
          `--steps ${config.totalSteps}: the checkpoint is already at step ${resumed.state.step}`,
        );
    } else {
      const env = args.overrides.env ?? 'Pendulum-v1';
      envSpec(env); // an unknown id fails here, with the list of known ones
      if (!presetAvailable(args.preset, env))
        throw new UsageError(`--preset ${args.preset} has no values for ${env}`);
      config = configFromPreset(args.preset, args.overrides);
    }
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
  const onWhat =
    backend === 'wasm'
      ? ` (products on ${threads} thread${threads > 1 ? 's' : ''})`
      : backend === 'webgpu'
        ? ` (${webgpuAdapterInUse()})`
        : '';
  console.error(`tfjs backend: ${backend}${onWhat}`);
  console.error(
    resumed
      ? `${config.env}, resumed at step ${resumed.state.step} of ${config.totalSteps}, seed ${config.seed}`
      : `${config.env}, preset ${args.preset}, seed ${config.seed}, ${config.totalSteps} steps`,
  );

  let out: WriteStream | null = null;
  if (args.out) {
    mkdirSync(dirname(args.out), { recursive: true });
    out = createWriteStream(args.out);
  }
  // Every record of the run, for the checkpoints (a resumed run starts with the ones before it).
  const history: MetricRecord[] = [];
  const evals = new EvalOutcome();
  const bar = args.quiet ? null : new ProgressBar(config.totalSteps);
  const checkpointFile = args.checkpoint ?? args.resume;
  const keep = (record: MetricRecord): void => {
    if (checkpointFile) history.push(record);
    out?.write(`${JSON.stringify(record)}\n`);
    evals.observe(record);
  };
  const onRecord = (record: MetricRecord): void => {
    keep(record);
    if (record.type === 'eval') {
      bar?.log(`step ${record.step}: eval return ${record.mean.toFixed(1)} ± ${record.std.toFixed(1)}`);
    } else if (record.type === 'stopped') {
      bar?.log(`stopped: ${record.reason}`);
    }
  };
  for (const record of resumed?.records ?? []) keep(record);

  const start = performance.now();
  const earlierSeconds = resumed?.wallSeconds ?? 0;
  let session: TrainingSession;
  try {
    session = resumed
      ? await TrainingSession.restore({ ...resumed.state, config }, onRecord)
      : await TrainingSession.create(config, onRecord);
  } catch (error) {
    out?.end();
    return usageFailure(error);
  }
  const save = async () => {
    if (!checkpointFile) return;
    const wallSeconds = earlierSeconds + (performance.now() - start) / 1000;
    const state = await readAsBackendWants(session.exportStateRead({ buffer: args.checkpointBuffer }));
    await writeCheckpoint(checkpointFile, { state, records: history, wallSeconds });
  };
  let nextCheckpoint = session.step + args.checkpointEvery;
  // On a GPU backend every read of the device is awaited (src/rl/deviceReads.ts); on wasm and cpu it is free.
  const asynchronous = readsAsynchronously();
  while (!session.done) {
    if (asynchronous) await session.runForAsync(250);
    else session.runFor(250);
    // A checkpoint between env steps, once the evaluation or probe under way is finished.
    if (
      checkpointFile &&
      session.step >= nextCheckpoint &&
      !session.hasPendingWork &&
      !session.stoppedReason
    ) {
      await save();
      while (nextCheckpoint <= session.step) nextCheckpoint += args.checkpointEvery;
    }
    // Let the event loop run between chunks: the JSONL stream flushes and Ctrl-C is heard.
    await new Promise((resolve) => setImmediate(resolve));
    bar?.update(session.step, evals.last);
  }
  bar?.finish();
  // The last good checkpoint stays: a run that diverged does not overwrite it.
  if (!session.stoppedReason) await save();
  if (args.exportPolicy && !session.stoppedReason) {
    const policy = await exportPolicy(
      session.agent,
      session.env.spec,
      config,
      session.step,
      session.normalizer,
    );
    mkdirSync(args.exportPolicy, { recursive: true });
    await writeFile(join(args.exportPolicy, 'model.json'), policy.modelJson);
    await writeFile(join(args.exportPolicy, WEIGHTS_FILE), new Uint8Array(policy.weights));
    await writeFile(
      join(args.exportPolicy, 'policy.config.json'),
      `${JSON.stringify(policy.config, null, 1)}\n`,
    );
    console.error(`policy written to ${args.exportPolicy}/model.json (tf.loadLayersModel loads it)`);
  }
  const summary: RunSummary = {
    type: 'summary',
    ...(args.variant === undefined ? {} : { variant: args.variant }),
    env: config.env,
    preset: resumed ? 'resumed' : args.preset,
    seed: config.seed,
    steps: session.step,
    episodes: session.episodes,
    wallSeconds: earlierSeconds + (performance.now() - start) / 1000,
    backend,
    finalEval: evals.last,
    bestEval: evals.best,
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

/** A checkpoint file, read and checked whole (src/train/checkpointFile.ts); a bad one is a usage error. */
async function readCheckpoint(file: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--resume ${file}: ${(error as Error).message}`);
  }
  const reading = await decodeCheckpoint(text);
  if (!reading.ok) throw new UsageError(`--resume ${file}: ${reading.error}`);
  return reading.checkpoint;
}

/** Written beside the file, then renamed over it: a crash mid-write leaves the last good checkpoint. */
async function writeCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.partial`;
  await writeFile(temporary, await encodeCheckpoint(checkpoint));
  await rename(temporary, file);
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
