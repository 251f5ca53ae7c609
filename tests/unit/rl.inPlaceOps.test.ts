/**
 * The update in place (src/rl/inPlaceOps.ts) against the same update on tfjs operations (src/rl/tfjsOps.ts), on
 * the same wasm backend: the
 * same weights, Adam moments, statistics and random draws for every combination of the three tricks, and
 * nothing shared with another tensor is written through.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentConfig, IN_PLACE_FLAG, TD3 } from '../../src/rl/td3';
import { flatten, maxAbsDiff } from '../helpers/rlMath';
import { agentConfig, randomBatch, wideSpace } from '../helpers/td3Fixtures';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterEach(() => {
  tf.env().set(IN_PLACE_FLAG, true);
});

const NETS = ['actor', 'actorTarget', 'critic1', 'critic2', 'critic1Target', 'critic2Target'] as const;

/** 12 updates (statistics every third) with the in-place update on or off; everything that came out. */
function run(inPlace: boolean, config: AgentConfig) {
  tf.env().set(IN_PLACE_FLAG, inPlace);
  const agent = new TD3(wideSpace, config, 5);
  const stats = [];
  for (let k = 0; k < 12; k++) stats.push(agent.train(randomBatch(wideSpace, 24, k), k % 3 === 2));
  const state = agent.exportState();
  agent.dispose();
  return { stats, state };
}

describe('the in-place update on wasm', () => {
  const variants: [string, Partial<AgentConfig>][] = [
    ['TD3', {}],
    ['one critic', { twinCritics: false }],
    ['no smoothing, no delay', { targetSmoothing: false, policyDelay: 1 }],
    ['DDPG', { twinCritics: false, targetSmoothing: false, policyDelay: 1 }],
    ['actor on min(Q1, Q2)', { actorMinQ: true, policyDelay: 1 }],
    ['actor on min(Q1, Q2), one critic in use', { actorMinQ: true, twinCritics: false }],
    ['gradient-norm clipping', { actorGradClip: 0.02, criticGradClip: 0.05 }],
  ];
  for (const [name, overrides] of variants) {
    it(`gives TD3.train's results (${name})`, () => {
      const config = agentConfig({
        hidden1: 16,
        hidden2: 12,
        actorLr: 1e-2,
        criticLr: 1e-2,
        tau: 0.1,
        ...overrides,
      });
      const before = tf.memory().numTensors;
      const ops = run(false, config);
      const inPlace = run(true, config);
      expect(tf.memory().numTensors).toBe(before);
      for (const net of NETS) {
        const diff = maxAbsDiff(flatten(inPlace.state.weights[net]), flatten(ops.state.weights[net]));
        expect(diff, net).toBeLessThan(1e-6);
      }
      for (const optimizer of ['actorOptimizer', 'criticOptimizer'] as const) {
        const [a, b] = [ops, inPlace].map((r) => r.state[optimizer]);
        expect(b.steps).toEqual(a.steps);
        expect(maxAbsDiff(b.m.flat(), a.m.flat())).toBeLessThan(1e-6);
        expect(maxAbsDiff(b.v.flat(), a.v.flat())).toBeLessThan(1e-8);
      }
      // The same smoothing noise drawn, the same counters.
      expect(inPlace.state.smoothingRng).toEqual(ops.state.smoothingRng);
      expect(inPlace.state.updates).toBe(ops.state.updates);
      expect(inPlace.state.lastActorLoss).toBeCloseTo(ops.state.lastActorLoss, 5);
      ops.stats.forEach((expected, k) => {
        const got = inPlace.stats[k];
        if (!expected) {
          expect(got).toBeNull();
          return;
        }
        expect(got?.update).toBe(expected.update);
        expect(got?.actorUpdated).toBe(expected.actorUpdated);
        for (const key of ['criticLoss', 'actorLoss', 'q1', 'q2', 'targetQ'] as const) {
          if (Number.isNaN(expected[key])) expect(got?.[key], key).toBeNaN();
          else expect(got?.[key], key).toBeCloseTo(expected[key], 5);
        }
      });
    });
  }

  it('copies data that another tensor shares before writing it (a reshape), and picks up weights set in between', () => {
    const config = agentConfig({ hidden1: 8, hidden2: 8, policyDelay: 1 });
    const batch = randomBatch(wideSpace, 16, 3);
    const [inPlace, ops] = [true, false].map((on) => {
      tf.env().set(IN_PLACE_FLAG, on);
      const agent = new TD3(wideSpace, config, 2);
      agent.train(batch);
      return agent;
    });
    // New weights from outside (a loaded checkpoint) replace the variables' data: the next update uses them.
    const loaded = new TD3(wideSpace, config, 9);
    for (const [agent, on] of [
      [inPlace, true],
      [ops, false],
    ] as const) {
      tf.env().set(IN_PLACE_FLAG, on);
      agent.setWeights(loaded.getWeights());
    }
    // A reshape shares its source's data in tfjs: an update must leave it as it was.
    const clone = tf.reshape(inPlace.actor.layers[0].weight, [-1]);
    const kept = Array.from(clone.dataSync());
    for (const [agent, on] of [
      [inPlace, true],
      [ops, false],
    ] as const) {
      tf.env().set(IN_PLACE_FLAG, on);
      agent.train(batch);
    }
    expect(Array.from(clone.dataSync())).toEqual(kept);
    const [a, b] = [inPlace, ops].map((agent) => agent.getWeights());
    for (const net of NETS) expect(maxAbsDiff(flatten(a[net]), flatten(b[net])), net).toBeLessThan(1e-6);
    expect(maxAbsDiff(flatten(a.actor), flatten(loaded.getWeights().actor))).toBeGreaterThan(0);
    clone.dispose();
    for (const agent of [inPlace, ops, loaded]) agent.dispose();
  });

  it('prioritized replay: weighted batches give the same weights and TD errors on both paths; weights of 1 change nothing, weights of 0 leave the critics still', () => {
    const config = agentConfig({ hidden1: 16, hidden2: 12, actorLr: 1e-2, criticLr: 1e-2, tau: 0.1 });
    const weighted = (k: number, weight?: (i: number) => number) => {
      const batch = randomBatch(wideSpace, 24, k);
      if (weight) batch.weights = Float32Array.from({ length: 24 }, (_, i) => weight(i));
      return batch;
    };
    const runWeighted = (inPlace: boolean, weight?: (i: number) => number) => {
      tf.env().set(IN_PLACE_FLAG, inPlace);
      const agent = new TD3(wideSpace, config, 5);
      const errors: number[][] = [];
      for (let k = 0; k < 8; k++) {
        agent.train(weighted(k, weight));
        errors.push(Array.from(agent.lastTdErrors));
      }
      const state = agent.exportState();
      agent.dispose();
      return { state, errors };
    };
    const importance = (i: number) => 0.2 + (0.8 * ((i * 7) % 24)) / 23;
    const [ops, inPlace] = [false, true].map((on) => runWeighted(on, importance));
    for (const net of NETS)
      expect(
        maxAbsDiff(flatten(inPlace.state.weights[net]), flatten(ops.state.weights[net])),
        net,
      ).toBeLessThan(1e-6);
    expect(ops.errors[0]).toHaveLength(24);
    for (let k = 0; k < 8; k++) expect(maxAbsDiff(inPlace.errors[k], ops.errors[k])).toBeLessThan(1e-5);
    // The weights do change the update (against the unweighted run).
    const plain = runWeighted(true);
    expect(plain.errors[0]).toEqual([]);
    expect(
      maxAbsDiff(flatten(plain.state.weights.critic1), flatten(inPlace.state.weights.critic1)),
    ).toBeGreaterThan(1e-4);
    // Weights of 1 are the unweighted update, bit for bit, on both paths.
    for (const on of [true, false]) {
      const ones = runWeighted(on, () => 1);
      const none = runWeighted(on);
      expect(ones.state.weights).toEqual(none.state.weights);
    }
    // Weights of 0: no critic gradient, and Adam from rest does not move the critics.
    for (const on of [true, false]) {
      tf.env().set(IN_PLACE_FLAG, on);
      const agent = new TD3(wideSpace, config, 5);
      const before = agent.getWeights();
      agent.train(weighted(0, () => 0));
      expect(agent.getWeights().critic1).toEqual(before.critic1);
      expect(agent.getWeights().critic2).toEqual(before.critic2);
      agent.dispose();
    }
  });

  it("acts as TD3.actBatch's tfjs operations do, one observation or several, with the weights of the moment", () => {
    const config = agentConfig({ hidden1: 16, hidden2: 12 });
    const agent = new TD3(wideSpace, config, 4);
    const observations = Float32Array.from({ length: 7 * 3 }, (_, i) => Math.sin(i * 1.7) * 3);
    const both = (n: number) =>
      [true, false].map((on) => {
        tf.env().set(IN_PLACE_FLAG, on);
        return agent.actBatch(observations.subarray(0, n * 3), n);
      });
    const before = tf.memory().numTensors;
    for (const n of [1, 7]) {
      const [inPlace, ops] = both(n);
      expect(inPlace).toHaveLength(n * 2);
      expect(maxAbsDiff(Array.from(inPlace), Array.from(ops))).toBeLessThan(1e-6);
      inPlace.forEach((a, i) => {
        expect(a).toBeGreaterThanOrEqual(wideSpace.actionLow[i % 2]);
        expect(a).toBeLessThanOrEqual(wideSpace.actionHigh[i % 2]);
      });
    }
    // Weights set from outside, and an update: the next actions follow them on both paths alike.
    const [first] = both(7);
    const loaded = new TD3(wideSpace, config, 11);
    agent.setWeights(loaded.getWeights());
    loaded.dispose();
    agent.train(randomBatch(wideSpace, 16, 1));
    const [inPlace, ops] = both(7);
    expect(maxAbsDiff(Array.from(inPlace), Array.from(first))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(Array.from(inPlace), Array.from(ops))).toBeLessThan(1e-6);
    tf.env().set(IN_PLACE_FLAG, true);
    expect(() => agent.actBatch(observations.subarray(0, 4), 1)).toThrow(/need 3 numbers, got 4/);
    // The update ran through tfjs operations, which keep its loss on the device until it is checked.
    expect(agent.firstNonFiniteLoss()).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
    agent.dispose();
  });
});
