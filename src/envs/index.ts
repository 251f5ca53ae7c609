/** The environment registry: `makeEnv(id)` builds an env by its Gymnasium id. */

import { box2dEnvEntries } from './box2d/entries';
import { copySpec } from './checks';
import { MOUNTAIN_CAR_CONTINUOUS_SPEC, MountainCarContinuous } from './mountainCarContinuous';
import { mujocoEnvEntries } from './mujoco';
import { PENDULUM_SPEC, Pendulum } from './pendulum';
import type { Env, EnvSpec } from './types';

export { BIPEDAL_WALKER_SPEC, LUNAR_LANDER_CONTINUOUS_SPEC } from './box2d/specs';
export { MOUNTAIN_CAR_CONTINUOUS_SPEC, MountainCarContinuous, mountainHeight } from './mountainCarContinuous';
export * from './mujoco';
export { angleNormalize, PENDULUM_SPEC, Pendulum } from './pendulum';
export { TimeLimit } from './timeLimit';
export type { Env, EnvSpec, StepResult } from './types';

interface Entry {
  spec: Readonly<EnvSpec>;
  /** Async because the MuJoCo envs will load their WASM physics. */
  make: () => Promise<Env>;
}

const registry = new Map<string, Entry>(
  [
    { spec: PENDULUM_SPEC, make: async (): Promise<Env> => new Pendulum() },
    { spec: MOUNTAIN_CAR_CONTINUOUS_SPEC, make: async (): Promise<Env> => new MountainCarContinuous() },
    ...mujocoEnvEntries,
    ...box2dEnvEntries,
  ].map((entry) => [entry.spec.id, entry]),
);

/** The known env ids, in registry order. */
export const envIds: readonly string[] = Object.freeze([...registry.keys()]);

function lookUp(id: string): Entry {
  const entry = registry.get(id);
  if (entry === undefined) {
    throw new Error(`Unknown environment id '${id}'; known ids: ${envIds.join(', ')}`);
  }
  return entry;
}

/**
 * Builds a fresh env; rejects with an Error naming the id and the known ids when it is not registered. Its
 * first `reset()` without a seed equals `reset(0)`.
 */
export async function makeEnv(id: string): Promise<Env> {
  return lookUp(id).make();
}

/** The spec of an env (a copy), without building it. Throws for an unknown id. */
export function envSpec(id: string): EnvSpec {
  return copySpec(lookUp(id).spec);
}
