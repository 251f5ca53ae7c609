/**
 * The Box2D envs (Gymnasium 1.x rules on planck). Importing this module loads planck; the registry in
 * `../index.ts` uses `./entries` instead, which loads it only when an env is built.
 */

export {
  BIPEDAL_WALKER_STATE_SIZE,
  BipedalWalker,
  bipedalWalkerTerrain,
  LIDAR_RANGE,
  TERRAIN_LENGTH,
  TERRAIN_STEP,
  WALKER_FINISH_X,
  type WalkerTerrain,
} from './bipedalWalker';
export { type DrawPolygon, FPS } from './common';
export { box2dEnvEntries } from './entries';
export {
  LANDER_HELIPAD_Y,
  type LanderTerrain,
  LUNAR_LANDER_STATE_SIZE,
  LunarLanderContinuous,
  lunarLanderTerrain,
} from './lunarLander';
export { BIPEDAL_WALKER_SPEC, LUNAR_LANDER_CONTINUOUS_SPEC } from './specs';
