/** Seeded determinism of the agent, and no tensor leaks over updates, acting and disposal. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { ReplayBuffer } from '../../src/rl/replayBuffer';
import { TD3 } from '../../src/rl/td3';
import { flatten } from '../helpers/rlMath';
import { agentConfig, randomBatch, sameWeights, wideSpace } from '../helpers/td3Fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A replay buffer of 64 random transitions in wideSpace. */
function filledBuffer(seed: number): ReplayBuffer {
  const rng = new Random(seed);
  const buffer = new ReplayBuffer(64, wideSpace.observationSize, wideSpace.actionSize);
  for (let i = 0; i < 64; i++) {
    const s = [0, 1, 2].map(() => rng.uniformRange(-1, 1));
    const a = [rng.uniformRange(-1, 3), rng.uniformRange(0, 0.5)];
    const s2 = [0, 1, 2].map(() => rng.uniformRange(-1, 1));
    buffer.add(s, a, rng.uniformRange(-1, 1), s2, rng.uniform() < 0.1);
  }
  return buffer;
}

describe('determinism', () => {
  it('same config, seed and sampling stream → identical weights after training', () => {
    const run = () => {
      const agent = new TD3(wideSpace, agentConfig({ hidden1: 6, hidden2: 5, policyDelay: 2 }), 1234);
      const buffer = filledBuffer(9);
      const sampling = Random.stream(1234, 'sampling');
      const losses: number[] = [];
      for (let k = 0; k < 12; k++)
        losses.push(agent.train(buffer.sample(16, sampling), true)?.criticLoss ?? 0);
      const weights = agent.getWeights();
      agent.dispose();
      return { weights, losses };
    };
    const a = run();
    const b = run();
    expect(b.weights).toEqual(a.weights);
    expect(b.losses).toEqual(a.losses);
  });

  it('different seeds → different initial weights; each target starts as a copy of its network', () => {
    const config = agentConfig({ hidden1: 4, hidden2: 4 });
    const a = new TD3(wideSpace, config, 1);
    const b = new TD3(wideSpace, config, 2);
    const a2 = new TD3(wideSpace, config, 1);
    const wa = a.getWeights();
    const wb = b.getWeights();
    expect(a2.getWeights()).toEqual(wa);
    for (const net of ['actor', 'critic1', 'critic2'] as const) {
      expect(sameWeights(wa[net], wb[net])).toBe(false);
      expect(wa[`${net}Target`]).toEqual(wa[net]);
    }
    // The two critics are initialised independently.
    expect(sameWeights(wa.critic1, wa.critic2)).toBe(false);
    // PyTorch's nn.Linear init: every parameter in ±1/√fan_in, using most of that range.
    for (const layer of wa.critic1) {
      const bound = 1 / Math.sqrt(layer.weight.length);
      const values = [...layer.weight.flat(), ...layer.bias];
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(bound / 3);
    }
    for (const agent of [a, b, a2]) agent.dispose();
  });

  it('the smoothing noise does not depend on how the network-init stream was used (named streams)', () => {
    const x = new TD3(wideSpace, agentConfig({ hidden1: 2, hidden2: 2 }), 7);
    const y = new TD3(wideSpace, agentConfig({ hidden1: 8, hidden2: 8 }), 7);
    expect(Array.from(y.sampleSmoothingNoise(10) ?? [])).toEqual(
      Array.from(x.sampleSmoothingNoise(10) ?? []),
    );
    const z = new TD3(wideSpace, agentConfig({ hidden1: 2, hidden2: 2 }), 8);
    expect(flatten(z.getWeights().actor)).not.toEqual(flatten(x.getWeights().actor));
    for (const agent of [x, y, z]) agent.dispose();
  });
});

describe('tensor memory', () => {
  const cases = [true, false].flatMap((twin) => [true, false].map((stats) => ({ twin, stats })));

  it.each(cases)('20 updates leak no tensor (twin $twin, wantStats $stats)', ({ twin, stats }) => {
    const before = tf.memory().numTensors;
    const agent = new TD3(wideSpace, agentConfig({ twinCritics: twin, policyDelay: 2 }), 3);
    const constructed = tf.memory().numTensors;
    expect(constructed).toBeGreaterThan(before);
    const batch = randomBatch(wideSpace, 8, 1);
    for (let k = 0; k < 20; k++) agent.train(batch, stats);
    expect(tf.memory().numTensors).toBe(constructed);
    agent.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mixed statistics requests, live config changes, acting and weight I/O leak nothing', () => {
    const before = tf.memory().numTensors;
    const agent = new TD3(wideSpace, agentConfig({ policyDelay: 3 }), 4);
    const constructed = tf.memory().numTensors;
    const batch = randomBatch(wideSpace, 8, 2);
    for (let k = 0; k < 20; k++) {
      if (k === 7) agent.setConfig({ twinCritics: false, targetSmoothing: false, policyDelay: 1 });
      if (k === 13) agent.setConfig({ twinCritics: true, targetSmoothing: true, actorLr: 1e-4 });
      agent.train(batch, k % 3 === 0);
    }
    agent.act([0.1, 0.2, 0.3]);
    agent.actBatch(batch.observations, 8);
    agent.qValues(batch.observations, batch.actions, 8);
    agent.setWeights(agent.getWeights());
    agent.targetQ(batch, agent.sampleSmoothingNoise(8)).dispose();
    expect(tf.memory().numTensors).toBe(constructed);
    agent.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
