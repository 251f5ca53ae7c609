/**
 * The batched population (src/rl/population.ts) against its members trained alone (src/rl/td3.ts) on the cpu
 * backend: members of different variants, seeds and rates, each on its own minibatches, end with the
 * weights, statistics and actions their solo agents have, within float32 rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSync } from '../../src/rl/deviceReads';
import { batchable, Population, type PopulationMember } from '../../src/rl/population';
import { type AgentConfig, type AgentWeights, TD3, type UpdateStats } from '../../src/rl/td3';
import { flatten, maxAbsDiff } from '../helpers/rlMath';
import { agentConfig, randomBatch, wideSpace } from '../helpers/td3Fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const NETS = ['actor', 'actorTarget', 'critic1', 'critic2', 'critic1Target', 'critic2Target'] as const;
const UPDATES = 9;
const BATCH = 16;

const MEMBERS: PopulationMember[] = [
  { config: agentConfig({ hidden1: 8, hidden2: 8 }), seed: 0 },
  // DDPG: all three switches off, its own rates.
  {
    config: agentConfig({
      hidden1: 8,
      hidden2: 8,
      twinCritics: false,
      policyDelay: 1,
      targetSmoothing: false,
      actorLr: 3e-3,
      criticLr: 2e-3,
    }),
    // A seed whose Q2′ is below Q1′ on some rows, so that taking the min for it would show (seed 1's is not).
    seed: 4,
  },
  // TD3 with delay 3, another γ and τ, orthogonal initial weights.
  {
    config: agentConfig({
      hidden1: 8,
      hidden2: 8,
      policyDelay: 3,
      discount: 0.95,
      tau: 0.05,
      init: 'orthogonal',
    }),
    seed: 2,
  },
];

const batchFor = (member: number, update: number) => randomBatch(wideSpace, BATCH, 100 * member + update);

describe('a batched population', () => {
  it('trains each member as it trains alone: weights, statistics and actions', () => {
    const alone = MEMBERS.map((m) => new TD3(wideSpace, m.config, m.seed));
    const population = new Population(wideSpace, MEMBERS);
    const soloStats: (UpdateStats | null)[][] = [];
    const batchedStats: (UpdateStats | null)[][] = [];
    const tensorsBefore = tf.memory().numTensors;
    for (let k = 0; k < UPDATES; k++) {
      const wantStats = k % 2 === 1;
      soloStats.push(alone.map((agent, i) => agent.train(batchFor(i, k), wantStats)));
      batchedStats.push(
        readSync(
          population.trainRead(
            MEMBERS.map((_, i) => batchFor(i, k)),
            wantStats,
          ),
        ),
      );
    }
    // Nothing kept between updates.
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const batched = readSync(population.weightsRead());
    alone.forEach((agent, i) => {
      const solo = agent.getWeights();
      for (const net of NETS) {
        const difference = maxAbsDiff(flatten(solo[net]), flatten(batched[i][net]));
        // Measured ≈1e-8 (float32 rounding); a member given another's switch or rate differs by ~1e-3.
        expect(difference, `member ${i} ${net}`).toBeLessThan(1e-6);
      }
    });
    // The members did learn apart: their actors differ from their initial weights and from each other.
    const actors = batched.map((w: AgentWeights) => flatten(w.actor));
    expect(maxAbsDiff(actors[0], actors[2])).toBeGreaterThan(1e-2);
    for (let k = 0; k < UPDATES; k++)
      for (const [i, m] of MEMBERS.entries()) {
        const solo = soloStats[k][i];
        const mine = batchedStats[k][i];
        if (!solo) {
          expect(mine).toBeNull();
          continue;
        }
        expect(mine?.actorUpdated).toBe(solo.actorUpdated);
        for (const key of ['criticLoss', 'actorLoss', 'q1', 'targetQ'] as const) {
          const label = `update ${k + 1} member ${i} ${key}`;
          // The actor loss is NaN before a member's first actor update.
          if (Number.isNaN(solo[key])) expect(mine?.[key], label).toBeNaN();
          else expect(mine?.[key], label).toBeCloseTo(solo[key], 5);
        }
        if (m.config.twinCritics) expect(mine?.q2).toBeCloseTo(solo.q2, 5);
        else expect(mine?.q2).toBeNaN();
      }
    // One read for every member's actions.
    const observations = Float32Array.from({ length: MEMBERS.length * 5 * 3 }, (_, j) => Math.sin(j));
    const actions = readSync(population.actionsRead(observations, 5));
    alone.forEach((agent, i) => {
      const solo = agent.actBatch(observations.subarray(i * 15, (i + 1) * 15), 5);
      expect(maxAbsDiff(Array.from(solo), Array.from(actions.subarray(i * 10, (i + 1) * 10)))).toBeLessThan(
        1e-6,
      );
    });
    for (const agent of alone) agent.dispose();
    population.dispose();
  });

  it('refuses members it cannot batch, saying why', () => {
    const with_ = (overrides: Partial<AgentConfig>) => [
      MEMBERS[0],
      { config: agentConfig({ hidden1: 8, hidden2: 8, ...overrides }), seed: 5 },
    ];
    expect(batchable(MEMBERS)).toBeNull();
    expect(batchable(with_({ hidden2: 16 }))).toMatch(/member 1 has 8-16 networks/);
    expect(batchable(with_({ criticNorm: 'layer' }))).toMatch(/normalises its critics/);
    expect(batchable(with_({ actorMinQ: true }))).toMatch(/min\(Q1, Q2\)/);
    expect(batchable(with_({ criticGradClip: 1 }))).toMatch(/clips its gradients/);
    expect(() => new Population(wideSpace, with_({ criticNorm: 'batch' }))).toThrow(/cannot be batched/);
  });

  it("names a member's non-finite networks in the words a single agent uses", () => {
    const population = new Population(wideSpace, MEMBERS.slice(0, 2));
    const weight = population.critic2Target.variables()[0];
    const damaged = weight.arraySync() as number[][][];
    damaged[1][0][0] = Number.NaN;
    weight.assign(tf.tensor(damaged));
    expect(readSync(population.nonFiniteMembersRead())).toEqual([[], ['critic 2 target']]);
    const alone = new TD3(wideSpace, MEMBERS[1].config, MEMBERS[1].seed);
    const critic2Target = alone.getWeights().critic2Target;
    critic2Target[0].weight[0][0] = Number.NaN;
    alone.setWeights({ critic2Target });
    expect(alone.nonFiniteNetworks()).toEqual(['critic 2 target']);
    alone.dispose();
    population.dispose();
  });
});
