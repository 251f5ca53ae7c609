/** Small agents, batches and weights for the TD3 unit tests. */
import { Random } from '../../src/common/random';
import type { MlpWeights } from '../../src/rl/mlp';
import type { ActionSpace, AgentConfig, AgentWeights, Batch } from '../../src/rl/td3';

/** A complete agent config with tiny networks; every field spelled out so tests do not depend on defaults. */
export function agentConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    hidden1: 4,
    hidden2: 4,
    actorLr: 1e-3,
    criticLr: 1e-3,
    discount: 0.99,
    tau: 0.005,
    twinCritics: true,
    policyDelay: 2,
    targetSmoothing: true,
    policyNoise: 0.2,
    noiseClip: 0.5,
    ...overrides,
  };
}

/** obs 2, act 1, asymmetric bounds [−1, 3] (half range 2, centre 1). */
export const smallSpace: ActionSpace = {
  observationSize: 2,
  actionSize: 1,
  actionLow: [-1],
  actionHigh: [3],
};

/** obs 3, act 2, bounds [−1, 3] and [0, 0.5]. */
export const wideSpace: ActionSpace = {
  observationSize: 3,
  actionSize: 2,
  actionLow: [-1, 0],
  actionHigh: [3, 0.5],
};

/** A batch of `n` random transitions (actions inside the bounds, ~1 in 4 terminal). */
export function randomBatch(space: ActionSpace, n: number, seed: number): Batch {
  const rng = new Random(seed);
  const { observationSize: os, actionSize: as } = space;
  const observations = new Float32Array(n * os).map(() => rng.uniformRange(-1.5, 1.5));
  const nextObservations = new Float32Array(n * os).map(() => rng.uniformRange(-1.5, 1.5));
  const actions = new Float32Array(n * as).map((_, i) =>
    rng.uniformRange(space.actionLow[i % as], space.actionHigh[i % as]),
  );
  const rewards = new Float32Array(n).map(() => rng.uniformRange(-2, 2));
  const notDone = new Float32Array(n).map(() => (rng.uniform() < 0.25 ? 0 : 1));
  return { size: n, observations, actions, rewards, nextObservations, notDone };
}

/** Deep copy of all six networks' weights. */
export const cloneWeights = (w: AgentWeights): AgentWeights => structuredClone(w);

export const sameWeights = (a: MlpWeights, b: MlpWeights): boolean => JSON.stringify(a) === JSON.stringify(b);
