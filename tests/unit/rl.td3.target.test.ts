/**
 * The critics' regression target y = r + γ·notDone·min(Q1′, Q2′)(s′, ã′), ã′ = clip(π′(s′) + ε, low, high),
 * for every combination of the three TD3 switches, against a plain-JS forward pass with hand-chosen weights.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MlpWeights } from '../../src/rl/mlp';
import { type Batch, TD3 } from '../../src/rl/td3';
import { clippedNormalStd, maxAbsDiff, mlp, policy, q, rows } from '../helpers/rlMath';
import { agentConfig, randomBatch, smallSpace, wideSpace } from '../helpers/td3Fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const agents: TD3[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.dispose();
});
function makeAgent(...args: ConstructorParameters<typeof TD3>): TD3 {
  const agent = new TD3(...args);
  agents.push(agent);
  return agent;
}

// obs 2 → 2 → 2 → act 1; critics (obs 2 + act 1) → 2 → 2 → 1. Chosen so that some rows have Q1′ < Q2′ and
// others Q1′ > Q2′, the noise pushes π′(s′) past both bounds, and some ReLU units are off.
const actorTarget: MlpWeights = [
  {
    weight: [
      [1.0, -0.5],
      [0.3, 0.8],
    ],
    bias: [0.1, 0.2],
  },
  {
    weight: [
      [0.7, -0.4],
      [0.6, 0.9],
    ],
    bias: [0.05, -0.1],
  },
  { weight: [[1.5], [-1.2]], bias: [-1.4] },
];
const critic1Target: MlpWeights = [
  {
    weight: [
      [0.5, -0.3],
      [-0.4, 0.6],
      [0.8, 0.2],
    ],
    bias: [0.1, -0.2],
  },
  {
    weight: [
      [0.9, -0.5],
      [0.4, 0.7],
    ],
    bias: [0.0, 0.3],
  },
  { weight: [[1.1], [-0.6]], bias: [0.5] },
];
const critic2Target: MlpWeights = [
  {
    weight: [
      [-0.2, 0.7],
      [0.5, -0.1],
      [0.3, -0.6],
    ],
    bias: [0.2, 0.1],
  },
  {
    weight: [
      [0.6, 0.3],
      [-0.8, 0.5],
    ],
    bias: [-0.1, 0.2],
  },
  { weight: [[0.9], [0.7]], bias: [1.6] },
];

const low = [-1];
const high = [3];
const nextObs = [
  [0.5, -1.0],
  [-0.8, 0.3],
  [1.2, 0.7],
  [-0.2, -1.5],
  [2.0, 1.5],
  [-1.5, -0.5],
];
const n = nextObs.length;
const rewards = [1.0, -0.5, 0.25, 2.0, -1.25, 0.5];
const notDone = [1, 1, 0, 1, 1, 0];
/** Already-clipped smoothing noise (within ±c·halfRange = ±1): rows 1 and 3 go below −1, row 4 above 3. */
const noise = [0.9, -0.9, 0.4, -0.7, 0.8, 0.3];

const batch: Batch = {
  size: n,
  observations: new Float32Array(n * 2).fill(0.25),
  actions: new Float32Array(n).fill(0.5),
  rewards: Float32Array.from(rewards),
  nextObservations: Float32Array.from(nextObs.flat()),
  notDone: Float32Array.from(notDone),
};

function expectedTarget(twin: boolean, smoothing: boolean, gamma: number): number[] {
  return nextObs.map((s, k) => {
    let a = policy(actorTarget, s, low, high)[0];
    if (smoothing) a = Math.min(Math.max(a + noise[k], low[0]), high[0]);
    const q1 = q(critic1Target, s, [a]);
    const q2 = q(critic2Target, s, [a]);
    return rewards[k] + gamma * notDone[k] * (twin ? Math.min(q1, q2) : q1);
  });
}

describe('fixture sanity (the hand-picked numbers exercise every branch)', () => {
  it('has rows on both sides of min(Q1′, Q2′), clipped at both bounds, and dead ReLUs', () => {
    const a = nextObs.map((s) => policy(actorTarget, s, low, high)[0]);
    const noisy = a.map((ak, k) => ak + noise[k]);
    expect(noisy.some((v) => v > high[0])).toBe(true);
    expect(noisy.some((v) => v < low[0])).toBe(true);
    for (const smoothing of [false, true]) {
      const act = smoothing ? noisy.map((v) => Math.min(Math.max(v, low[0]), high[0])) : a;
      const diff = nextObs.map((s, k) => q(critic1Target, s, [act[k]]) - q(critic2Target, s, [act[k]]));
      expect(diff.some((d) => d > 0.1)).toBe(true);
      expect(diff.some((d) => d < -0.1)).toBe(true);
    }
    // Some first-layer ReLU of the actor is off for some row.
    expect(nextObs.some((s) => mlp([actorTarget[0]], s).some((v) => v < 0))).toBe(true);
  });
});

describe('TD3.targetQ', () => {
  const combos = [false, true].flatMap((twinCritics) =>
    [1, 2].flatMap((policyDelay) =>
      [false, true].map((targetSmoothing) => ({ twinCritics, policyDelay, targetSmoothing })),
    ),
  );

  it.each(combos)('twin $twinCritics, delay $policyDelay, smoothing $targetSmoothing', (switches) => {
    const gamma = 0.9;
    const agent = makeAgent(
      smallSpace,
      agentConfig({ hidden1: 2, hidden2: 2, discount: gamma, ...switches }),
      1,
    );
    agent.setWeights({ actorTarget, critic1Target, critic2Target });
    const eps = agent.sampleSmoothingNoise(n);
    if (switches.targetSmoothing) {
      expect(eps).toBeInstanceOf(Float32Array);
      expect(eps).toHaveLength(n);
    } else {
      expect(eps).toBeNull();
    }
    const y = agent.targetQ(batch, switches.targetSmoothing ? Float32Array.from(noise) : eps);
    expect(y.shape).toEqual([n, 1]);
    const got = y.dataSync();
    y.dispose();
    const want = expectedTarget(switches.twinCritics, switches.targetSmoothing, gamma);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    // The switches matter for this fixture: the other choice of each gives a different answer.
    expect(
      maxAbsDiff(want, expectedTarget(!switches.twinCritics, switches.targetSmoothing, gamma)),
    ).toBeGreaterThan(0.1);
    expect(
      maxAbsDiff(want, expectedTarget(switches.twinCritics, !switches.targetSmoothing, gamma)),
    ).toBeGreaterThan(0.1);
  });

  it('does not depend on the online networks', () => {
    const agent = makeAgent(smallSpace, agentConfig({ hidden1: 2, hidden2: 2, discount: 0.9 }), 1);
    agent.setWeights({ actorTarget, critic1Target, critic2Target });
    const before = agent.targetQ(batch, Float32Array.from(noise));
    const other = makeAgent(smallSpace, agentConfig({ hidden1: 2, hidden2: 2 }), 77).getWeights();
    agent.setWeights({ actor: other.actor, critic1: other.critic1, critic2: other.critic2 });
    const after = agent.targetQ(batch, Float32Array.from(noise));
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    tf.dispose([before, after]);
  });

  it('bootstraps truncated transitions (notDone 1) and not terminated ones (notDone 0)', () => {
    const gamma = 0.95;
    const agent = makeAgent(smallSpace, agentConfig({ hidden1: 2, hidden2: 2, discount: gamma }), 1);
    agent.setWeights({ actorTarget, critic1Target, critic2Target });
    const s = [0.5, -1.0];
    const one: Batch = {
      size: 2,
      observations: new Float32Array(4),
      actions: new Float32Array(2),
      rewards: Float32Array.from([0.75, 0.75]),
      nextObservations: Float32Array.from([...s, ...s]),
      notDone: Float32Array.from([1, 0]),
    };
    const a = policy(actorTarget, s, low, high);
    const qNext = Math.min(q(critic1Target, s, a), q(critic2Target, s, a));
    expect(Math.abs(qNext)).toBeGreaterThan(0.1);
    const y = agent.targetQ(one, null);
    const [bootstrapped, terminal] = y.dataSync();
    y.dispose();
    expect(bootstrapped).toBeCloseTo(0.75 + gamma * qNext, 5);
    expect(terminal).toBe(0.75);
  });

  it('is what train() regresses onto (stats.targetQ = mean y), with and without twin critics', () => {
    for (const twinCritics of [true, false]) {
      const gamma = 0.9;
      const config = agentConfig({
        hidden1: 2,
        hidden2: 2,
        discount: gamma,
        twinCritics,
        targetSmoothing: false,
      });
      const agent = makeAgent(smallSpace, config, 3);
      agent.setWeights({ actorTarget, critic1Target, critic2Target });
      const stats = agent.train(batch, true);
      const want = expectedTarget(twinCritics, false, gamma);
      expect(stats?.targetQ).toBeCloseTo(want.reduce((x, v) => x + v, 0) / n, 5);
    }
  });
});

describe('TD3.sampleSmoothingNoise', () => {
  it('is null with smoothing off, also after switching it off live', () => {
    const agent = makeAgent(wideSpace, agentConfig({ targetSmoothing: true }), 5);
    expect(agent.sampleSmoothingNoise(3)).not.toBeNull();
    agent.setConfig({ targetSmoothing: false });
    expect(agent.sampleSmoothingNoise(3)).toBeNull();
    expect(
      makeAgent(wideSpace, agentConfig({ targetSmoothing: false }), 5).sampleSmoothingNoise(3),
    ).toBeNull();
  });

  it('is N(0, σ·halfRange) clipped to ±c·halfRange, per action dimension', () => {
    const sigma = 0.2;
    const c = 0.5;
    const agent = makeAgent(wideSpace, agentConfig({ policyNoise: sigma, noiseClip: c }), 5);
    const count = 20_000;
    const eps = agent.sampleSmoothingNoise(count);
    expect(eps).toHaveLength(count * 2);
    const halfRange = [2, 0.25];
    const cols = [0, 1].map((d) => Array.from({ length: count }, (_, k) => (eps as Float32Array)[k * 2 + d]));
    cols.forEach((col, d) => {
      const bound = c * halfRange[d];
      const max = Math.max(...col);
      const min = Math.min(...col);
      expect(max).toBeLessThanOrEqual(Math.fround(bound));
      expect(min).toBeGreaterThanOrEqual(-Math.fround(bound));
      // c = 2.5σ: about 1.2% of draws are clipped, so both bounds are reached.
      expect(col.filter((v) => Math.abs(v) >= Math.fround(bound)).length).toBeGreaterThan(count * 0.005);
      const mean = col.reduce((x, v) => x + v, 0) / count;
      const std = Math.sqrt(col.reduce((x, v) => x + (v - mean) ** 2, 0) / count);
      const wantStd = sigma * halfRange[d] * clippedNormalStd(c / sigma);
      expect(Math.abs(mean)).toBeLessThan(0.03 * sigma * halfRange[d]);
      expect(std / wantStd).toBeGreaterThan(0.97);
      expect(std / wantStd).toBeLessThan(1.03);
    });
  });

  it('follows live changes of σ and c', () => {
    const agent = makeAgent(wideSpace, agentConfig({ policyNoise: 0.2, noiseClip: 0.5 }), 9);
    agent.setConfig({ policyNoise: 0.05, noiseClip: 0.1 });
    const eps = agent.sampleSmoothingNoise(2000) as Float32Array;
    const dim0 = rows(eps, 2).map((r) => r[0]);
    expect(Math.max(...dim0.map(Math.abs))).toBeLessThanOrEqual(Math.fround(0.1 * 2));
    const std = Math.sqrt(dim0.reduce((x, v) => x + v * v, 0) / dim0.length);
    expect(std).toBeGreaterThan(0.05 * 2 * 0.9);
    expect(std).toBeLessThan(0.05 * 2 * 1.05);
  });
});

describe('acting and Q values', () => {
  it('actBatch scales tanh onto [low, high] and qValues evaluates both online critics', () => {
    const agent = makeAgent(smallSpace, agentConfig({ hidden1: 2, hidden2: 2 }), 1);
    // Online networks set to the target fixture (the targets keep their random initial weights).
    agent.setWeights({ actor: actorTarget, critic1: critic1Target, critic2: critic2Target });
    const obs = Float32Array.from(nextObs.flat());
    const acts = agent.actBatch(obs, n);
    const want = nextObs.map((s) => policy(actorTarget, s, low, high)[0]);
    expect(maxAbsDiff(acts, want)).toBeLessThan(1e-5);
    expect(agent.act(nextObs[4])[0]).toBeCloseTo(want[4], 5);
    const actions = Float32Array.from([-1, 3, 0.5, 2.2, -0.3, 1]);
    const { q1, q2 } = agent.qValues(obs, actions, n);
    expect(
      maxAbsDiff(
        q1,
        nextObs.map((s, k) => q(critic1Target, s, [actions[k]])),
      ),
    ).toBeLessThan(1e-5);
    expect(
      maxAbsDiff(
        q2,
        nextObs.map((s, k) => q(critic2Target, s, [actions[k]])),
      ),
    ).toBeLessThan(1e-5);
  });

  it('maps a saturated tanh onto the bounds of each dimension', () => {
    const agent = makeAgent(wideSpace, agentConfig({ hidden1: 2, hidden2: 2 }), 1);
    const w = agent.getWeights().actor;
    const zero = (net: MlpWeights): MlpWeights =>
      net.map((l) => ({ weight: l.weight.map((r) => r.map(() => 0)), bias: l.bias.map(() => 0) }));
    const saturated = zero(w);
    saturated[2].bias = [50, -50];
    agent.setWeights({ actor: saturated });
    expect(Array.from(agent.act([0.1, 0.2, 0.3]))).toEqual([3, 0]);
    const centred = zero(w);
    agent.setWeights({ actor: centred });
    expect(Array.from(agent.act([0.1, 0.2, 0.3]))).toEqual([1, 0.25]);
    const rb = randomBatch(wideSpace, 4, 1);
    expect(agent.actBatch(rb.observations, 4)).toHaveLength(8);
  });
});
