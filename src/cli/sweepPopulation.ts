/**
 * The sweep on a GPU: the runs that fit together train as one batched population in this process
 * (src/train/populationSession.ts: one update call for all of them, one read of all their actions per env
 * step), up to 20 at a time, as the lab does on a GPU backend. Each run writes the JSONL file that
 * `npm run train` writes for it alone, with the same records; a run that cannot join a population (n-step,
 * prioritized replay, …) trains alone here, as train runs it.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { POPULATION_MAX, populationGroup } from '../lab/populationGroup';
import { readAsBackendWants } from '../rl/deviceReads';
import type { Config } from '../rl/hyperparameters';
import { configFromPreset } from '../rl/presets';
import { EvalOutcome, type MetricRecord, type SummaryRecord } from '../train/metrics';
import { populationProblem } from '../train/populationFit';
import { PopulationSession } from '../train/populationSession';
import { parseTrainArgs, type TrainArgs } from './args';
import { activateNodeBackend } from './backend';
import { runTrain } from './train';

/** One run of the sweep: its train flags, and where its records go. */
export interface PopulationJob {
  args: string[];
  out: string;
  variant: string;
  seed: number;
}

/** Train flags a population cannot honour: each run's own file of its own state. */
const PER_RUN_FILES = ['--checkpoint', '--resume', '--export-policy'];

/** Why these train flags cannot go to a population sweep (null: they can). */
export function populationFlagProblem(trainFlags: string[]): string | null {
  const flag = trainFlags.find((f) => PER_RUN_FILES.includes(f.split('=')[0]));
  return flag ? `${flag.split('=')[0]} is not available when the runs train as one population` : null;
}

interface Queued extends PopulationJob {
  config: Config;
  flags: TrainArgs;
}

/** Trains every job, population by population; returns how many runs failed or stopped before their end. */
export async function trainAsPopulations(
  jobs: PopulationJob[],
  progress: (done: number) => void,
): Promise<number> {
  const queue: Queued[] = jobs.map((job) => {
    const flags = parseTrainArgs(job.args);
    return { ...job, flags, config: configFromPreset(flags.preset, flags.overrides) };
  });
  if (!queue.length) return 0;
  const { backend: requested, threads } = queue[0].flags;
  const backend = await activateNodeBackend(requested, threads);
  let failures = 0;
  let done = 0;
  while (queue.length) {
    const group = populationGroup(queue, POPULATION_MAX);
    for (const run of group) queue.splice(queue.indexOf(run), 1);
    if (group.length === 1 && populationProblem([group[0].config]) !== null) {
      // Not batchable: trained alone, exactly as `npm run train` trains it.
      if ((await runTrain(group[0].args)) !== 0) failures++;
    } else {
      try {
        failures += await trainPopulation(group, backend);
      } catch (error) {
        // Not one run's own failure (those stop that run alone): the whole population is lost.
        process.stderr.write(`\npopulation of ${group.length} runs failed: ${(error as Error).message}\n`);
        failures += group.length;
      }
    }
    done += group.length;
    progress(done);
  }
  return failures;
}

/** One population; each run's records and summary to its own file, as train writes them. */
async function trainPopulation(group: Queued[], backend: string): Promise<number> {
  const files: WriteStream[] = group.map((run) => {
    mkdirSync(dirname(run.out), { recursive: true });
    return createWriteStream(run.out);
  });
  const evals = group.map(() => new EvalOutcome());
  // Where each run's records end: a run that stopped by itself stopped at its last record's step.
  const lastStep = group.map(() => 0);
  const start = performance.now();
  const session = await PopulationSession.create(
    group.map((run) => run.config),
    (i, record: MetricRecord) => {
      files[i].write(`${JSON.stringify(record)}\n`);
      lastStep[i] = record.step;
      evals[i].observe(record);
    },
  );
  let stopped = 0;
  try {
    while (!session.done) {
      await readAsBackendWants(session.runRead(250));
      // Let the event loop run between chunks: the files flush and Ctrl-C is heard.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const wallSeconds = (performance.now() - start) / 1000;
    group.forEach((run, i) => {
      const halted = session.stoppedOf(i);
      if (halted) {
        stopped++;
        process.stderr.write(`\n${run.variant} seed ${run.seed} stopped: ${halted.reason}\n`);
      }
      const summary: SummaryRecord = {
        type: 'summary',
        ...(run.flags.variant === undefined ? {} : { variant: run.flags.variant }),
        env: run.config.env,
        preset: run.flags.preset,
        seed: run.config.seed,
        steps: halted ? lastStep[i] : session.step,
        episodes: session.episodesOf(i),
        // The population's wall time: every run trained all of it, side by side with the others.
        wallSeconds,
        backend,
        finalEval: evals[i].last,
        bestEval: evals[i].best,
        stoppedReason: halted?.reason ?? null,
      };
      files[i].write(`${JSON.stringify(summary)}\n`);
    });
  } finally {
    session.dispose();
    await Promise.all(files.map((file) => new Promise<void>((resolve) => file.end(resolve))));
  }
  return stopped;
}
