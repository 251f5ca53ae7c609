/**
 * The wasm backend (the CLI's default in Node): one full update against the plain-JS reference, agreement with
 * the cpu backend over several updates, and no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { TD3 } from '../../src/rl/td3';
import {
  AdamRef,
  actorLossGrads,
  criticMseGrads,
  flatten,
  maxAbsDiff,
  policy,
  q,
  rows,
  unflatten,
} from '../helpers/rlMath';
import { agentConfig, cloneWeights, randomBatch, wideSpace } from '../helpers/td3Fixtures';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

const { actionLow: low, actionHigh: high, observationSize: os, actionSize: as } = wideSpace;

describe('TD3 on wasm', () => {
  it('runs on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('one update (critics, actor, targets) matches the plain-JS reference', () => {
    const lr = 1e-2;
    const gamma = 0.9;
    const tau = 0.25;
    const config = agentConfig({
      actorLr: lr,
      criticLr: lr,
      discount: gamma,
      tau,
      policyDelay: 1,
      targetSmoothing: false,
    });
    const agent = new TD3(wideSpace, config, 4);
    const batch = randomBatch(wideSpace, 8, 7);
    const w0 = cloneWeights(agent.getWeights());
    const s = rows(batch.observations, os);
    const a = rows(batch.actions, as);
    const y = rows(batch.nextObservations, os).map((sn, k) => {
      const an = policy(w0.actorTarget, sn, low, high);
      return (
        batch.rewards[k] +
        gamma * batch.notDone[k] * Math.min(q(w0.critic1Target, sn, an), q(w0.critic2Target, sn, an))
      );
    });
    const step = (net: 'critic1' | 'critic2') => {
      const g = flatten(criticMseGrads(w0[net], s, a, y));
      return unflatten(w0[net], new AdamRef(g.length, lr).step(flatten(w0[net]), g));
    };
    const critic1 = step('critic1');
    const critic2 = step('critic2');
    const { grads } = actorLossGrads(w0.actor, critic1, s, low, high);
    const g = flatten(grads);
    const actor = unflatten(w0.actor, new AdamRef(g.length, lr).step(flatten(w0.actor), g));

    agent.train(batch);
    const w1 = agent.getWeights();
    expect(maxAbsDiff(flatten(w1.critic1), flatten(critic1))).toBeLessThan(2e-6);
    expect(maxAbsDiff(flatten(w1.critic2), flatten(critic2))).toBeLessThan(2e-6);
    expect(maxAbsDiff(flatten(w1.actor), flatten(actor))).toBeLessThan(2e-6);
    const avg = (online: number[], target: number[]) => online.map((o, i) => tau * o + (1 - tau) * target[i]);
    expect(maxAbsDiff(flatten(w1.actorTarget), avg(flatten(actor), flatten(w0.actorTarget)))).toBeLessThan(
      2e-6,
    );
    expect(
      maxAbsDiff(flatten(w1.critic2Target), avg(flatten(critic2), flatten(w0.critic2Target))),
    ).toBeLessThan(2e-6);
    agent.dispose();
  });

  it('agrees with the cpu backend over 10 updates with all three tricks on', async () => {
    const run = () => {
      const agent = new TD3(wideSpace, agentConfig({ hidden1: 8, hidden2: 8, policyDelay: 2 }), 17);
      for (let k = 0; k < 10; k++) agent.train(randomBatch(wideSpace, 16, k));
      const w = agent.getWeights();
      agent.dispose();
      return w;
    };
    const wasm = run();
    await tf.setBackend('cpu');
    const cpu = run();
    await tf.setBackend('wasm');
    for (const net of [
      'actor',
      'actorTarget',
      'critic1',
      'critic2',
      'critic1Target',
      'critic2Target',
    ] as const) {
      expect(maxAbsDiff(flatten(wasm[net]), flatten(cpu[net])), net).toBeLessThan(1e-5);
    }
  });

  it('leaks no tensor over 20 updates', () => {
    const before = tf.memory().numTensors;
    const agent = new TD3(wideSpace, agentConfig(), 3);
    const constructed = tf.memory().numTensors;
    const batch = randomBatch(wideSpace, 8, 1);
    for (let k = 0; k < 20; k++) agent.train(batch, k % 2 === 0);
    expect(tf.memory().numTensors).toBe(constructed);
    agent.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
