/** The MuJoCo v5 envs (Gymnasium 1.x semantics) and their registry entries. */

import type { Env, EnvSpec } from '../types';
import { ANT_SPEC, Ant } from './ant';
import { HALF_CHEETAH_SPEC, HalfCheetah } from './halfCheetah';
import { HOPPER_SPEC, Hopper } from './hopper';
import { HUMANOID_SPEC, Humanoid } from './humanoid';
import { INVERTED_DOUBLE_PENDULUM_SPEC, InvertedDoublePendulum } from './invertedDoublePendulum';
import { INVERTED_PENDULUM_SPEC, InvertedPendulum } from './invertedPendulum';
import { REACHER_SPEC, Reacher } from './reacher';
import { WALKER2D_SPEC, Walker2d } from './walker2d';

export { ANT_SPEC, Ant, antXml } from './ant';
export { HALF_CHEETAH_SPEC, HalfCheetah, halfCheetahXml } from './halfCheetah';
export { HOPPER_SPEC, Hopper, hopperXml } from './hopper';
export { HUMANOID_SPEC, Humanoid, humanoidXml } from './humanoid';
export {
  INVERTED_DOUBLE_PENDULUM_SPEC,
  InvertedDoublePendulum,
  invertedDoublePendulumXml,
} from './invertedDoublePendulum';
export { INVERTED_PENDULUM_SPEC, InvertedPendulum, invertedPendulumXml } from './invertedPendulum';
export { loadMujoco, type Mujoco, mujocoMemoryBytes, setMujocoWasmUrl } from './loadMujoco';
export { type DataField, type GeomInfo, type GeomPoses, MujocoEnv } from './mujocoEnv';
export { REACHER_SPEC, Reacher, reacherXml } from './reacher';
export { WALKER2D_SPEC, Walker2d, walker2dXml } from './walker2d';

/** Registry entries, in the order Gymnasium 1.4 registers them. */
export const mujocoEnvEntries: readonly { spec: Readonly<EnvSpec>; make: () => Promise<Env> }[] = [
  { spec: REACHER_SPEC, make: () => Reacher.create() },
  { spec: INVERTED_PENDULUM_SPEC, make: () => InvertedPendulum.create() },
  { spec: INVERTED_DOUBLE_PENDULUM_SPEC, make: () => InvertedDoublePendulum.create() },
  { spec: HALF_CHEETAH_SPEC, make: () => HalfCheetah.create() },
  { spec: HOPPER_SPEC, make: () => Hopper.create() },
  { spec: WALKER2D_SPEC, make: () => Walker2d.create() },
  { spec: ANT_SPEC, make: () => Ant.create() },
  { spec: HUMANOID_SPEC, make: () => Humanoid.create() },
];
