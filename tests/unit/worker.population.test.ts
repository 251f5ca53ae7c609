/**
 * The worker's side of runs trained as one population (`startPopulation`), driven directly on the cpu
 * backend: each run is heard of by its own name, to its end; runs that cannot train together are refused.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MetricRecord } from '../../src/train/metrics';
import type { StatusEvent } from '../../src/worker/protocol';
import { makeHost, shutdownTestHost, TINY, until } from '../helpers/testHost';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

afterEach(() => shutdownTestHost());

const RUN = { ...TINY, totalSteps: 300 };
const RUNS = [
  { runId: 'td3-s0', config: { ...RUN, seed: 0 } },
  {
    runId: 'ddpg-s0',
    config: { ...RUN, seed: 0, twinCritics: false, policyDelay: 1, targetSmoothing: false },
  },
  { runId: 'td3-s1', config: { ...RUN, seed: 1 } },
];

describe('TrainingHost: runs trained as one population', () => {
  it('streams each run under its own name and ends each with a done status', async () => {
    const h = makeHost();
    const before = tf.engine().state.numTensors;
    await h.host.receive({ type: 'startPopulation', runs: RUNS });
    const last = (runId: string) =>
      h.events.filter((e): e is StatusEvent => e.type === 'status' && e.runId === runId).at(-1);
    await until(() => RUNS.every((r) => last(r.runId)?.state === 'done'), 60_000);
    for (const { runId } of RUNS) {
      const status = last(runId);
      expect(status?.step).toBe(300);
      expect(status?.backend).toBe('cpu');
      expect(status?.config?.twinCritics).toBe(runId !== 'ddpg-s0');
      const records = h.events.flatMap((e) =>
        e.type === 'metrics' && e.runId === runId ? e.records : [],
      ) as MetricRecord[];
      expect(records[0].type).toBe('config');
      const evals = records.filter((r) => r.type === 'eval');
      expect(evals.map((r) => r.step)).toEqual([100, 200, 300]);
      expect(records.filter((r) => r.type === 'probe').map((r) => r.step)).toEqual([100, 200, 300]);
      expect(records.some((r) => r.type === 'episode')).toBe(true);
    }
    // The runs' evaluations differ (other seeds, other switches): each run is its own.
    const finalEval = (runId: string) =>
      (
        h.events.flatMap((e) =>
          e.type === 'metrics' && e.runId === runId ? e.records : [],
        ) as MetricRecord[]
      )
        .filter((r) => r.type === 'eval')
        .at(-1);
    expect(finalEval('td3-s0')).not.toEqual(finalEval('td3-s1'));
    // A new run frees the population's tensors.
    await h.host.receive({ type: 'start', config: { ...TINY, totalSteps: 60 } });
    await until(() => h.status()?.state === 'done');
    await h.host.receive({ type: 'stop' });
    expect(tf.engine().state.numTensors).toBe(before);
  });

  it('refuses runs that cannot train together, and the current run goes on', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'start', config: TINY, runId: 'solo' });
    await h.host.receive({
      type: 'startPopulation',
      runs: [RUNS[0], { runId: 'other', config: { ...RUN, batchSize: 32 } }],
    });
    expect(h.notices().at(-1)).toMatch(
      /Not started: these runs cannot train as one population: run 1 has another batchSize \(32 against 16\)/,
    );
    await h.host.receive({
      type: 'startPopulation',
      runs: [RUNS[0], { runId: 'bad', config: { ...RUN, tau: 7 } }],
    });
    expect(h.notices().at(-1)).toMatch(/Not started: run bad: .*tau/);
    await h.host.receive({ type: 'startPopulation', runs: [] });
    expect(h.notices().at(-1)).toMatch(/Malformed command at runs/);
    const step = h.status()?.step ?? 0;
    await until(() => (h.status()?.step ?? 0) > step + 20);
    expect(h.status()?.runId).toBe('solo');
    expect(h.status()?.state).toBe('running');
  });

  it('pauses, resumes and stops all its runs together', async () => {
    const h = makeHost();
    await h.host.receive({ type: 'startPopulation', runs: RUNS.map((r) => ({ ...r, config: TINY })) });
    await until(() => (h.status()?.step ?? 0) > 60);
    await h.host.receive({ type: 'pause' });
    const paused = h.status()?.step ?? 0;
    await new Promise((r) => setTimeout(r, 100));
    expect(h.status()?.step).toBe(paused);
    await h.host.receive({ type: 'resume' });
    await until(() => (h.status()?.step ?? 0) > paused + 20);
    await h.host.receive({ type: 'stop' });
    const states = RUNS.map(
      (r) =>
        h.events.filter((e): e is StatusEvent => e.type === 'status' && e.runId === r.runId).at(-1)?.state,
    );
    expect(states).toEqual(['stopped', 'stopped', 'stopped']);
  });
});
