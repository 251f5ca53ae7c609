/**
 * Registry entries for the Box2D envs. The physics modules (and planck with them) are imported only when an
 * env is built, so listing the envs costs nothing.
 */

import type { Env, EnvSpec } from '../types';
import { BIPEDAL_WALKER_SPEC, LUNAR_LANDER_CONTINUOUS_SPEC } from './specs';

/** In the order Gymnasium 1.4 registers them. */
export const box2dEnvEntries: readonly { spec: Readonly<EnvSpec>; make: () => Promise<Env> }[] = [
  {
    spec: LUNAR_LANDER_CONTINUOUS_SPEC,
    make: async () => new (await import('./lunarLander')).LunarLanderContinuous(),
  },
  {
    spec: BIPEDAL_WALKER_SPEC,
    make: async () => new (await import('./bipedalWalker')).BipedalWalker(),
  },
];
