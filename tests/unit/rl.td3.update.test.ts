/**
 * One TD3 update against a plain-JS reference: the critic and actor gradients (through the custom dense
 * gradient), PyTorch's Adam step, delayed policy updates, Polyak averaging, and the twin-critics switch.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../src/rl/adam';
import { clipByGlobalNorm } from '../../src/rl/linalg';
import type { MlpWeights } from '../../src/rl/mlp';
import { type AgentConfig, type AgentWeights, type Batch, TD3 } from '../../src/rl/td3';
import {
  AdamRef,
  actorLossGrads,
  criticMseGrads,
  flatten,
  mapParams,
  maxAbsDiff,
  policy,
  q,
  rows,
  unflatten,
} from '../helpers/rlMath';
import { agentConfig, cloneWeights, randomBatch, sameWeights, wideSpace } from '../helpers/td3Fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const agents: TD3[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.dispose();
});
function makeAgent(config: AgentConfig, seed: number): TD3 {
  const agent = new TD3(wideSpace, config, seed);
  agents.push(agent);
  return agent;
}

const { actionLow: low, actionHigh: high, observationSize: os, actionSize: as } = wideSpace;

/** y by hand (no smoothing noise), from the target networks in `w`. */
function handTarget(w: AgentWeights, batch: Batch, gamma: number, twin: boolean): number[] {
  const next = rows(batch.nextObservations, os);
  return next.map((s, k) => {
    const a = policy(w.actorTarget, s, low, high);
    const q1 = q(w.critic1Target, s, a);
    const qn = twin ? Math.min(q1, q(w.critic2Target, s, a)) : q1;
    return batch.rewards[k] + gamma * batch.notDone[k] * qn;
  });
}

const NETS = ['actor', 'actorTarget', 'critic1', 'critic2', 'critic1Target', 'critic2Target'] as const;

describe('delayed policy updates', () => {
  const cases = [1, 2, 3].flatMap((d) => [true, false].map((twin) => ({ d, twin })));

  it.each(cases)('policyDelay $d, twin $twin: actor and targets move only when k % d = 0', ({ d, twin }) => {
    const agent = makeAgent(
      agentConfig({
        hidden1: 8,
        hidden2: 8,
        policyDelay: d,
        twinCritics: twin,
        tau: 0.5,
        actorLr: 1e-2,
        criticLr: 1e-2,
      }),
      11,
    );
    const batch = randomBatch(wideSpace, 16, 2);
    let before = cloneWeights(agent.getWeights());
    for (let k = 1; k <= 7; k++) {
      const stats = agent.train(batch, k % 2 === 1);
      const after = cloneWeights(agent.getWeights());
      const changed = Object.fromEntries(NETS.map((net) => [net, !sameWeights(before[net], after[net])]));
      const policyStep = k % d === 0;
      expect(changed, `update ${k}`).toEqual({
        actor: policyStep,
        actorTarget: policyStep,
        critic1: true,
        // Critic 2 learns with twin critics off too (unused), so switching them on is TD3 at once.
        critic2: true,
        critic1Target: policyStep,
        critic2Target: policyStep,
      });
      expect(agent.updates).toBe(k);
      if (stats) {
        expect(stats.update).toBe(k);
        expect(stats.actorUpdated).toBe(policyStep);
        expect(Number.isNaN(stats.q2)).toBe(!twin);
      }
      before = after;
    }
  });

  it('follows a live change of the delay (counted on the total number of updates)', () => {
    const agent = makeAgent(agentConfig({ hidden1: 4, hidden2: 4, policyDelay: 2 }), 3);
    const batch = randomBatch(wideSpace, 8, 3);
    const updated: boolean[] = [];
    for (let k = 1; k <= 9; k++) {
      if (k === 4) agent.setConfig({ policyDelay: 3 });
      updated.push((agent.train(batch, true) as { actorUpdated: boolean }).actorUpdated);
    }
    expect(updated).toEqual([false, true, false, false, false, true, false, false, true]);
  });
});

describe('one update against the plain-JS reference', () => {
  const lr = 1e-2;
  const gamma = 0.9;

  it('first critic step: each parameter moves by −lr·g/(|g|+ε) ≈ −lr·sign(g); the second step too', () => {
    const config = agentConfig({
      hidden1: 4,
      hidden2: 4,
      criticLr: lr,
      discount: gamma,
      policyDelay: 10,
      targetSmoothing: false,
    });
    const agent = makeAgent(config, 21);
    const batch = randomBatch(wideSpace, 8, 5);
    expect(Array.from(batch.notDone)).toContain(0);
    const w0 = cloneWeights(agent.getWeights());
    const s = rows(batch.observations, os);
    const a = rows(batch.actions, as);
    const y = handTarget(w0, batch, gamma, true);

    // critic1's output bias: d/db mean((q − y)²) = 2·mean(q − y).
    const q0 = s.map((sk, k) => q(w0.critic1, sk, a[k]));
    const gBias = (2 * q0.reduce((x, qk, k) => x + qk - y[k], 0)) / s.length;
    expect(Math.abs(gBias)).toBeGreaterThan(1e-3);

    const stats = agent.train(batch, true);
    expect(stats?.q1).toBeCloseTo(q0.reduce((x, v) => x + v, 0) / s.length, 5);
    const w1 = agent.getWeights();
    const bias0 = w0.critic1[2].bias[0];
    const bias1 = w1.critic1[2].bias[0];
    expect(Math.sign(bias1 - bias0)).toBe(-Math.sign(gBias));
    expect(Math.abs(bias1 - bias0)).toBeCloseTo(lr, 6);

    // Every parameter of both critics.
    const refs = {
      critic1: new AdamRef(flatten(w0.critic1).length, lr),
      critic2: new AdamRef(flatten(w0.critic2).length, lr),
    };
    let current = { critic1: w0.critic1, critic2: w0.critic2 };
    for (const step of [1, 2]) {
      const next = {} as Record<'critic1' | 'critic2', MlpWeights>;
      for (const net of ['critic1', 'critic2'] as const) {
        const g = criticMseGrads(current[net], s, a, y);
        next[net] = unflatten(current[net], refs[net].step(flatten(current[net]), flatten(g)));
      }
      if (step === 2) agent.train(batch);
      const got = agent.getWeights();
      for (const net of ['critic1', 'critic2'] as const) {
        expect(maxAbsDiff(flatten(got[net]), flatten(next[net])), `${net} after step ${step}`).toBeLessThan(
          2e-6,
        );
      }
      current = next;
    }
    // The actor and the targets have not moved (delay 10).
    const w2 = agent.getWeights();
    for (const net of ['actor', 'actorTarget', 'critic1Target', 'critic2Target'] as const) {
      expect(w2[net]).toEqual(w0[net]);
    }
  });

  it('critic loss is MSE(Q1, y) + MSE(Q2, y) with twin critics, MSE(Q1, y) without', () => {
    for (const twin of [true, false]) {
      const agent = makeAgent(agentConfig({ twinCritics: twin, targetSmoothing: false, discount: gamma }), 8);
      const batch = randomBatch(wideSpace, 8, 6);
      const w0 = cloneWeights(agent.getWeights());
      const y = handTarget(w0, batch, gamma, twin);
      const s = rows(batch.observations, os);
      const a = rows(batch.actions, as);
      const mse = (net: MlpWeights) =>
        s.reduce((x, sk, k) => x + (q(net, sk, a[k]) - y[k]) ** 2, 0) / s.length;
      const stats = agent.train(batch, true);
      expect(stats?.criticLoss).toBeCloseTo(mse(w0.critic1) + (twin ? mse(w0.critic2) : 0), 5);
    }
  });

  it('actor step ascends Q1(s, π(s)) of the just-updated critic, then the targets follow with τ', () => {
    const tau = 0.25;
    const config = agentConfig({
      hidden1: 4,
      hidden2: 4,
      actorLr: lr,
      criticLr: lr,
      discount: gamma,
      tau,
      policyDelay: 1,
      targetSmoothing: false,
    });
    const agent = makeAgent(config, 4);
    const batch = randomBatch(wideSpace, 8, 7);
    const w0 = cloneWeights(agent.getWeights());
    const s = rows(batch.observations, os);
    const a = rows(batch.actions, as);
    const y = handTarget(w0, batch, gamma, true);
    const critic = (net: 'critic1' | 'critic2') => {
      const g = criticMseGrads(w0[net], s, a, y);
      return unflatten(w0[net], new AdamRef(flatten(g).length, lr).step(flatten(w0[net]), flatten(g)));
    };
    const critic1 = critic('critic1');
    const critic2 = critic('critic2');
    const { grads, loss } = actorLossGrads(w0.actor, critic1, s, low, high);
    expect(flatten(grads).filter((g) => Math.abs(g) > 1e-4).length).toBeGreaterThan(5);
    const actor = unflatten(
      w0.actor,
      new AdamRef(flatten(grads).length, lr).step(flatten(w0.actor), flatten(grads)),
    );

    const stats = agent.train(batch, true);
    expect(stats?.actorUpdated).toBe(true);
    expect(stats?.actorLoss).toBeCloseTo(loss, 5);
    const w1 = agent.getWeights();
    expect(maxAbsDiff(flatten(w1.actor), flatten(actor))).toBeLessThan(2e-6);
    const polyak = (online: MlpWeights, target: MlpWeights) =>
      flatten(mapParams([online, target], (o, t) => tau * o + (1 - tau) * t));
    expect(maxAbsDiff(flatten(w1.actorTarget), polyak(actor, w0.actorTarget))).toBeLessThan(2e-6);
    expect(maxAbsDiff(flatten(w1.critic1Target), polyak(critic1, w0.critic1Target))).toBeLessThan(2e-6);
    expect(maxAbsDiff(flatten(w1.critic2Target), polyak(critic2, w0.critic2Target))).toBeLessThan(2e-6);
  });
});

describe('Polyak averaging', () => {
  it('τ = 0.5: target = 0.5·old target + 0.5·new online, exactly, on actor updates only', () => {
    const agent = makeAgent(agentConfig({ tau: 0.5, policyDelay: 2, actorLr: 1e-2, criticLr: 1e-2 }), 31);
    // Targets different from the online networks, so the average is not trivially a copy.
    const other = makeAgent(agentConfig(), 32).getWeights();
    agent.setWeights({
      actorTarget: other.actor,
      critic1Target: other.critic1,
      critic2Target: other.critic2,
    });
    const batch = randomBatch(wideSpace, 8, 8);
    agent.train(batch); // update 1: targets stay
    const old = cloneWeights(agent.getWeights());
    expect(old.actorTarget).toEqual(other.actor);
    agent.train(batch); // update 2: actor step, then the targets
    const w = agent.getWeights();
    const pairs = [
      ['actorTarget', 'actor'],
      ['critic1Target', 'critic1'],
      ['critic2Target', 'critic2'],
    ] as const;
    for (const [target, online] of pairs) {
      expect(sameWeights(w[target], old[target])).toBe(false);
      const want = mapParams([w[online], old[target]], (o, t) => Math.fround(0.5 * o + 0.5 * t));
      expect(w[target]).toEqual(want);
    }
  });
});

describe('twin critics off', () => {
  it('critic 2 keeps learning on the same batches and targets: started equal to critic 1, it stays equal', () => {
    const agent = makeAgent(agentConfig({ twinCritics: false, policyDelay: 2, tau: 0.5 }), 41);
    const w0 = cloneWeights(agent.getWeights());
    agent.setWeights({ critic2: w0.critic1, critic2Target: w0.critic1Target });
    for (let k = 0; k < 6; k++) agent.train(randomBatch(wideSpace, 8, 9 + k), k % 2 === 0);
    const w1 = agent.getWeights();
    expect(sameWeights(w1.critic1, w0.critic1)).toBe(false);
    expect(w1.critic2).toEqual(w1.critic1);
    expect(w1.critic2Target).toEqual(w1.critic1Target);
  });

  it('switched on mid-run, the target is min(Q1′, Q2′) at once, of a critic 2 that has been learning', () => {
    const gamma = 0.9;
    const config = agentConfig({
      twinCritics: false,
      policyDelay: 1,
      targetSmoothing: false,
      discount: gamma,
    });
    const agent = makeAgent(config, 51);
    const w0 = cloneWeights(agent.getWeights());
    for (let k = 0; k < 20; k++) agent.train(randomBatch(wideSpace, 8, 20 + k));
    const before = cloneWeights(agent.getWeights());
    expect(sameWeights(before.critic2, w0.critic2)).toBe(false);
    expect(sameWeights(before.critic2Target, w0.critic2Target)).toBe(false);
    agent.setConfig({ twinCritics: true });
    const batch = randomBatch(wideSpace, 8, 10);
    const y = handTarget(before, batch, gamma, true);
    const stats = agent.train(batch, true);
    expect(stats?.targetQ).toBeCloseTo(y.reduce((a, b) => a + b, 0) / y.length, 4);
    expect(Number.isNaN(stats?.q2 ?? Number.NaN)).toBe(false);
  });
});

describe('update statistics', () => {
  // UpdateStats.actorLoss is documented as "−mean Q1(s, π(s)) at the last actor update; NaN before the
  // first one". The session asks for statistics every logEvery updates, which need not fall on an actor
  // update (logEvery 25 with d = 2, or 250 with d = 3).
  it('actorLoss reports the last actor update even when that update did not ask for statistics', () => {
    const agent = makeAgent(agentConfig({ policyDelay: 2, targetSmoothing: false }), 61);
    const batch = randomBatch(wideSpace, 8, 11);
    agent.train(batch, false);
    const actorBefore = cloneWeights(agent.getWeights()).actor;
    agent.train(batch, false); // update 2: the actor updates
    const critic1 = agent.getWeights().critic1; // critic1 as the actor step saw it
    const want = actorLossGrads(actorBefore, critic1, rows(batch.observations, os), low, high).loss;
    const stats = agent.train(batch, true); // update 3: no actor update
    expect(stats?.actorUpdated).toBe(false);
    expect(stats?.actorLoss).toBeCloseTo(want, 5);
  });

  it('actorLoss is NaN before the first actor update and carries over between them', () => {
    const agent = makeAgent(agentConfig({ policyDelay: 2 }), 62);
    const batch = randomBatch(wideSpace, 8, 12);
    const s1 = agent.train(batch, true);
    expect(s1?.actorLoss).toBeNaN();
    const s2 = agent.train(batch, true);
    expect(Number.isFinite(s2?.actorLoss)).toBe(true);
    expect(agent.train(batch, true)?.actorLoss).toBe(s2?.actorLoss);
    expect(agent.train(batch, false)).toBeNull();
  });
});

describe('Adam', () => {
  it('matches PyTorch over several steps, follows a live learning rate, and skips null gradients', () => {
    const p = tf.variable(tf.tensor1d([0.5, -0.25, 1]));
    const frozen = tf.variable(tf.tensor1d([2, 3]));
    const adam = new Adam([p, frozen], 0.1);
    const ref = new AdamRef(3, 0.1);
    const gradsList = [
      [0.3, -2, 1e-3],
      [-0.1, -1, 0.5],
      [0.2, 4, -0.5],
      [0, 0.5, 1],
    ];
    let want = [0.5, -0.25, 1];
    gradsList.forEach((g, i) => {
      if (i === 2) {
        adam.learningRate = 0.02;
        (ref as { lr: number }).lr = 0.02;
      }
      want = ref.step(want, g);
      tf.tidy(() => adam.apply([tf.tensor1d(g), null]));
      expect(maxAbsDiff(p.dataSync(), want)).toBeLessThan(1e-6);
    });
    expect(Array.from(frozen.dataSync())).toEqual([2, 3]);
    adam.dispose();
    tf.dispose([p, frozen]);
  });
});

describe('the actor on min(Q1, Q2)', () => {
  it('with both critics equal it is the actor on Q1, bit for bit; with different critics it is not', () => {
    const run = (actorMinQ: boolean, equalCritics: boolean) => {
      const agent = makeAgent(agentConfig({ actorMinQ, policyDelay: 1, tau: 0.5 }), 61);
      const w0 = cloneWeights(agent.getWeights());
      if (equalCritics) agent.setWeights({ critic2: w0.critic1, critic2Target: w0.critic1Target });
      else {
        // Critic 2 moved down to about critic 1's level, so that each is the smaller on some rows.
        for (const net of [w0.critic2, w0.critic2Target]) net[net.length - 1].bias[0] -= 0.75;
        agent.setWeights({ critic2: w0.critic2, critic2Target: w0.critic2Target });
      }
      const losses: number[] = [];
      for (let k = 0; k < 5; k++)
        losses.push(agent.train(randomBatch(wideSpace, 8, 70 + k), true)?.actorLoss ?? 0);
      const w = agent.getWeights();
      agent.dispose();
      return { actor: w.actor, losses };
    };
    expect(run(true, true)).toEqual(run(false, true));
    const [minQ, q1] = [run(true, false), run(false, false)];
    expect(sameWeights(minQ.actor, q1.actor)).toBe(false);
    // −mean min(Q1, Q2) ≥ −mean Q1: the actor's loss under min is never the smaller one at the first update.
    expect(minQ.losses[0]).toBeGreaterThanOrEqual(q1.losses[0]);
  });
});

describe('gradient-norm clipping', () => {
  it('scales all gradients together to the norm when they exceed it, as clip_grad_norm_, and leaves smaller ones', () => {
    const grads = [tf.tensor1d([3, 0]), tf.tensor2d([[0, 4]])];
    const clipped = clipByGlobalNorm(grads, 1).map((g) => Array.from(g.dataSync()));
    const factor = 1 / (5 + 1e-6);
    expect(clipped[0][0]).toBeCloseTo(3 * factor, 6);
    expect(clipped[1][1]).toBeCloseTo(4 * factor, 6);
    const loose = clipByGlobalNorm(grads, 10).map((g) => Array.from(g.dataSync()));
    expect(loose).toEqual([
      [3, 0],
      [0, 4],
    ]);
    expect(clipByGlobalNorm(grads, 0)).toBe(grads);
  });

  it('changes the update only when it binds', () => {
    const run = (clip: Partial<AgentConfig>) => {
      const agent = makeAgent(agentConfig({ policyDelay: 1, ...clip }), 81);
      for (let k = 0; k < 3; k++) agent.train(randomBatch(wideSpace, 8, 90 + k));
      return agent.getWeights();
    };
    const plain = run({});
    expect(run({ actorGradClip: 1e6, criticGradClip: 1e6 })).toEqual(plain);
    const tight = run({ actorGradClip: 1e-3, criticGradClip: 1e-3 });
    expect(sameWeights(tight.critic1, plain.critic1)).toBe(false);
    expect(sameWeights(tight.actor, plain.actor)).toBe(false);
  });
});
