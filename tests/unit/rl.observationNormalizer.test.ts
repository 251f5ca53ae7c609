import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSync } from '../../src/rl/deviceReads';
import { ObservationNormalizer } from '../../src/rl/observationNormalizer';
import { policyModel } from '../../src/rl/policyExport';
import { TrainingSession } from '../../src/train/session';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A small Pendulum run with normalised observations, learning from step 50. */
const SMALL_RUN = {
  env: 'Pendulum-v1',
  normalizeObservations: true,
  hidden1: 8,
  hidden2: 8,
  batchSize: 16,
  startSteps: 50,
  bufferSize: 1000,
  totalSteps: 400,
  probePairs: 0,
};

describe('observation normalisation', () => {
  it("keeps SB3's running mean and variance (count starting at 1e-4), and normalises by them", () => {
    const n = new ObservationNormalizer(2);
    for (const x of [
      [1, 2],
      [3, -1],
      [0.5, 4],
      [2, 2],
    ])
      n.update(x);
    // numpy, with RunningMeanStd.update_from_moments one row at a time from mean 0, var 1, count 1e-4.
    const state = n.exportState();
    expect(state.mean[0]).toBeCloseTo(1.6249593760155996, 12);
    expect(state.mean[1]).toBeCloseTo(1.7499562510937228, 12);
    expect(state.variance[0]).toBeCloseTo(0.9219429654005159, 12);
    expect(state.variance[1]).toBeCloseTo(3.1875218725391723, 12);
    expect(state.count).toBeCloseTo(4.0001, 12);
    const z = n.normalize([1, 2]);
    expect(z[0]).toBeCloseTo((1 - state.mean[0]) / Math.sqrt(state.variance[0] + 1e-8), 6);
    expect(Array.from(n.normalizeRows(Float32Array.from([1, 2, 3, -1])))).toEqual([
      ...Array.from(n.normalize([1, 2])),
      ...Array.from(n.normalize([3, -1])),
    ]);
    expect(() => n.importState({ mean: [0], variance: [1], count: 1 })).toThrow(/1 values, the env 2/);
    expect(() => n.importState({ mean: [0, 0], variance: [1, -1], count: 1 })).toThrow(/at least 0/);
  });

  it('in a run: the agent sees normalised observations, evaluation leaves the statistics alone, an exported policy folds them in', async () => {
    const session = await TrainingSession.create({ ...SMALL_RUN, evalEvery: 200, evalEpisodes: 1 }, () => {});
    const normalizer = session.normalizer;
    if (!normalizer) throw new Error('no normalizer');
    session.advance(200); // the step that starts an evaluation
    expect(session.hasPendingWork).toBe(true);
    const before = normalizer.exportState();
    // Each step's observation, and the two resets' (the first, and after the episode ended at step 200).
    expect(before.count).toBeCloseTo(200 + 2 + 1e-4, 6);
    while (session.hasPendingWork) session.runFor(10, 0);
    expect(normalizer.exportState()).toEqual(before);

    // The update gets the sampled rows normalised: undone, each is a row of the (raw) replay buffer.
    const seen: Float32Array[] = [];
    let stats = normalizer.exportState();
    const train = session.agent.trainRead.bind(session.agent);
    session.agent.trainRead = (batch, wantStats) => {
      seen.push(Float32Array.from(batch.observations));
      stats = normalizer.exportState(); // as they were when the batch was normalised
      return train(batch, wantStats);
    };
    session.advance(1);
    const raw = session.buffer.observations.subarray(0, session.buffer.size * 3);
    const rows = seen[0];
    expect(rows.length).toBe(16 * 3);
    for (let k = 0; k < 16; k++) {
      const undone = [0, 1, 2].map(
        (i) => rows[k * 3 + i] * Math.sqrt(stats.variance[i] + 1e-8) + stats.mean[i],
      );
      let found = false;
      for (let r = 0; r < session.buffer.size && !found; r++)
        found = undone.every((v, i) => Math.abs(v - raw[r * 3 + i]) < 1e-4);
      expect(found, `row ${k}`).toBe(true);
      expect(rows.slice(k * 3, k * 3 + 3)).not.toEqual(raw.slice(0, 3)); // normalised, not raw
    }

    const observation = [0.6, -0.8, 3.5];
    const policyAction = readSync(session.policy.actionsRead(observation, 1));
    expect(Array.from(policyAction)).toEqual(
      Array.from(session.agent.act(normalizer.normalize(observation))),
    );
    // The exported model takes raw observations and gives the same actions.
    const model = policyModel(session.agent.getWeights().actor, session.env.spec, normalizer);
    const exported = tf.tidy(() => (model.predict(tf.tensor2d([observation])) as tf.Tensor).dataSync());
    expect(exported[0]).toBeCloseTo(policyAction[0], 5);
    model.dispose();
    session.dispose();
  });

  it('frozen when learning starts: the statistics are those of the random steps, also after a checkpoint', async () => {
    const make = (freezeObservationStats: boolean) =>
      TrainingSession.create({ ...SMALL_RUN, evalEvery: 1000, freezeObservationStats }, () => {});
    const [frozen, moving] = await Promise.all([make(true), make(false)]);
    // The same random steps: both have seen the same 50 observations and the first reset's.
    frozen.advance(50);
    moving.advance(50);
    const atStart = moving.normalizer?.exportState();
    expect(atStart?.count).toBeCloseTo(51 + 1e-4, 6);
    expect(frozen.normalizer?.exportState()).toEqual(atStart);
    frozen.advance(250); // past an episode's end (a reset) too
    moving.advance(250);
    expect(frozen.normalizer?.exportState()).toEqual(atStart);
    expect(moving.normalizer?.exportState().count).toBeCloseTo(301 + 1 + 1e-4, 6);
    // Resumed from its state, it stays frozen.
    const resumed = await TrainingSession.restore(frozen.exportState(), () => {});
    resumed.advance(50);
    expect(resumed.normalizer?.exportState()).toEqual(atStart);
    for (const session of [frozen, moving, resumed]) session.dispose();
  });
});
