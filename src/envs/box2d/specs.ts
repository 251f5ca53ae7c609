/** The Box2D envs' specs, kept apart from the physics so the registry can list them without loading planck. */

import type { EnvSpec } from '../types';

/** `gym.make('LunarLanderContinuous-v3')`: `LunarLander(continuous=True)` with a 1000-step TimeLimit. */
export const LUNAR_LANDER_CONTINUOUS_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'LunarLanderContinuous-v3',
  observationSize: 8,
  actionSize: 2,
  actionLow: [-1, -1],
  actionHigh: [1, 1],
  maxEpisodeSteps: 1000,
});

/** `gym.make('BipedalWalker-v3')`: the normal (not hardcore) terrain, with a 1600-step TimeLimit. */
export const BIPEDAL_WALKER_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'BipedalWalker-v3',
  observationSize: 24,
  actionSize: 4,
  actionLow: [-1, -1, -1, -1],
  actionHigh: [1, 1, 1, 1],
  maxEpisodeSteps: 1600,
});
