import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TD3 } from '../../src/rl/td3';
import { agentConfig, randomBatch, wideSpace } from '../helpers/td3Fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('agent state export and import', () => {
  it('continues exactly: an agent that imports another’s state then trains identically to it', () => {
    const config = agentConfig({ policyDelay: 2 });
    const a = new TD3(wideSpace, config, 1);
    for (let k = 0; k < 5; k++) a.train(randomBatch(wideSpace, 8, k));
    const b = new TD3(wideSpace, config, 99);
    b.importState(structuredClone(a.exportState()));
    expect(b.updates).toBe(5);
    for (let k = 5; k < 12; k++) {
      const statsA = a.train(randomBatch(wideSpace, 8, k), true);
      const statsB = b.train(randomBatch(wideSpace, 8, k), true);
      expect(statsB).toEqual(statsA);
    }
    expect(b.getWeights()).toEqual(a.getWeights());
    a.dispose();
    b.dispose();
  });

  it('moves between backends: state exported on cpu continues on wasm', async () => {
    const config = agentConfig();
    const a = new TD3(wideSpace, config, 3);
    for (let k = 0; k < 4; k++) a.train(randomBatch(wideSpace, 8, k));
    const state = a.exportState();
    await tf.setBackend('wasm');
    const b = new TD3(wideSpace, config, 4);
    b.importState(state);
    const exported = b.exportState();
    expect(exported.weights).toEqual(state.weights);
    expect(exported.criticOptimizer).toEqual(state.criticOptimizer);
    expect(exported.smoothingRng).toEqual(state.smoothingRng);
    b.dispose();
    await tf.setBackend('cpu');
    a.dispose();
  });

  it('refuses the state of an agent with other sizes', () => {
    const a = new TD3(wideSpace, agentConfig({ hidden1: 3 }), 1);
    const b = new TD3(wideSpace, agentConfig({ hidden1: 5 }), 1);
    expect(() => b.importState(a.exportState())).toThrow(/setWeights/);
    a.dispose();
    b.dispose();
  });
});
