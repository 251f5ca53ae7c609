/**
 * Many runs trained as one population (src/train/populationSession.ts) against each run trained alone by a
 * TrainingSession, on the cpu backend: each run's records (episodes, updates, evaluations, the overestimation
 * probe) are the same.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/rl/hyperparameters';
import { parseConfig } from '../../src/rl/hyperparameters';
import type { MetricRecord } from '../../src/train/metrics';
import { populationProblem } from '../../src/train/populationFit';
import { PopulationSession } from '../../src/train/populationSession';
import { TrainingSession } from '../../src/train/session';
import { ScriptedEnv } from '../helpers/scriptedEnv';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const base: Partial<Config> = {
  env: 'Pendulum-v1',
  hidden1: 8,
  hidden2: 8,
  batchSize: 16,
  startSteps: 50,
  totalSteps: 450,
  bufferSize: 1000,
  evalEvery: 150,
  evalEpisodes: 2,
  probePairs: 6,
  probeEvery: 150,
  logEvery: 10,
};
const RUNS: Partial<Config>[] = [
  { ...base, seed: 0 },
  { ...base, seed: 4, twinCritics: false, targetSmoothing: false, policyDelay: 1, actorLr: 3e-3 },
  { ...base, seed: 2, policyDelay: 3, discount: 0.95, tau: 0.05 },
];

/** What a run records, without its wall-clock throughput. */
const comparable = (records: MetricRecord[]) => records.filter((r) => r.type !== 'throughput');

describe('runs trained as one population', () => {
  it('record, run by run, what each records when trained alone', async () => {
    const together: MetricRecord[][] = RUNS.map(() => []);
    const population = await PopulationSession.create(RUNS, (i, r) => together[i].push(r));
    // Driven asynchronously, as on a GPU backend; each run alone synchronously.
    while (!population.done) await population.advanceAsync(25);
    population.dispose();
    for (const [i, run] of RUNS.entries()) {
      const alone: MetricRecord[] = [];
      const session = await TrainingSession.create(run, (r) => alone.push(r));
      while (!session.done) session.runFor(50);
      session.dispose();
      const kinds = new Set<string>(alone.map((r) => r.type));
      for (const kind of ['episode', 'update', 'eval', 'probe'])
        expect(kinds.has(kind), `run ${i} ${kind}`).toBe(true);
      expect(comparable(together[i]), `run ${i}`).toEqual(comparable(alone));
    }
  });

  it('stops a run whose critic diverges, with the reason, and the others train on as they would alone', async () => {
    const config = { ...base, env: 'Scripted-v0', probePairs: 0, logEvery: 1, totalSteps: 400 };
    // The envs are made run after run (training, evaluation, two copies for the evaluation's two episodes
    // side by side): run 1's rewards turn 1e38.
    let made = 0;
    const factory = async () => new ScriptedEnv(made++ < 4 ? {} : { reward: 0, poisonAfter: 100 });
    const together: MetricRecord[][] = [[], []];
    const population = await PopulationSession.create(
      [
        { ...config, seed: 0 },
        { ...config, seed: 1 },
      ],
      (i, r) => together[i].push(r),
      factory,
    );
    while (!population.done) population.advance(50);
    population.dispose();
    const stopped = together[1].find((r) => r.type === 'stopped');
    expect(stopped?.type === 'stopped' && stopped.reason).toMatch(
      /^Diverged at env step \d+, update \d+: the critic loss is not finite|the weights of/,
    );
    expect(stopped?.type === 'stopped' && stopped.divergence?.step).toBeLessThan(400);
    // Nothing recorded after it; run 0 ends as it ends alone.
    expect(together[1].at(-1)).toBe(stopped);
    const alone: MetricRecord[] = [];
    const session = await TrainingSession.create(
      { ...config, seed: 0 },
      (r) => alone.push(r),
      async () => new ScriptedEnv({}),
    );
    while (!session.done) session.runFor(50);
    session.dispose();
    expect(comparable(together[0])).toEqual(comparable(alone));
  });

  it('refuses runs that cannot share one loop or one set of weights, saying why', () => {
    const configs = (second: Partial<Config>) => [
      parseConfig(RUNS[0]),
      parseConfig({ ...RUNS[0], ...second }),
    ];
    expect(populationProblem(configs({ seed: 9 }))).toBeNull();
    expect(populationProblem(configs({ batchSize: 32 }))).toMatch(
      /run 1 has another batchSize \(32 against 16\)/,
    );
    expect(populationProblem(configs({ per: true }))).toMatch(/prioritized replay/);
    expect(populationProblem(configs({ nStep: 3 }))).toMatch(/n-step/);
    expect(populationProblem(configs({ probeEvery: 300 }))).toMatch(/another probeEvery/);
    expect(populationProblem(configs({ criticNorm: 'layer' }))).toMatch(/normalises its critics/);
  });
});
