/**
 * Walker2d-v5, a port of Gymnasium 1.x `mujoco/walker2d_v5.py` with its model `assets/walker2d_v5.xml` (the
 * same bodies, joints, geoms and options, written here as TypeScript). v5's model gives both feet friction
 * 1.9 (v4's `walker2d.xml` had 0.9 on the right foot).
 *
 * - Observation (17): qpos without the root x, then qvel clipped to [-10, 10].
 * - Reward: Δx/dt + healthy_reward (1 while healthy) − 1e-3 · Σ action².
 * - Healthy: z = qpos[1] in (0.8, 2) and the torso angle qpos[2] in (-1, 1), strict. Terminated when unhealthy.
 * - Reset: qpos and qvel each init + U(-0.005, 0.005). frame_skip 4, timestep 0.002 (RK4): dt = 0.008.
 */

import type { EnvSpec } from '../types';
import { planarTorso } from './hopper';
import { loadMujoco, type Mujoco } from './loadMujoco';
import { el, floorGeom, type MjcfElement, toXml } from './mjcf';
import { PlanarWalkerEnv } from './planarWalker';

const FRAME_SKIP = 4;
const HEALTHY_Z_RANGE = [0.8, 2] as const;
const HEALTHY_ANGLE_RANGE = [-1, 1] as const;
/** v5: both feet. */
const FOOT_FRICTION = 1.9;

/** The foot capsule's orientation: a quarter turn about y, as Gymnasium's XML writes it (two doubles). */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: the exact doubles of Gymnasium's XML.
const FOOT_QUAT = [0.7071067811865476, 0, -0.7071067811865475, 0];

export const WALKER2D_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'Walker2d-v5',
  observationSize: 17,
  actionSize: 6,
  actionLow: [-1, -1, -1, -1, -1, -1],
  actionHigh: [1, 1, 1, 1, 1, 1],
  maxEpisodeSteps: 1000,
});

/** One leg: thigh, leg and foot, named with `suffix` ('' for the right leg, '_left' for the left one). */
function leg(suffix: string, rgba: number[] | undefined): MjcfElement {
  const hinge = (name: string, pos: number[], range: [number, number]) =>
    el('joint', { axis: [0, -1, 0], name, pos, range, type: 'hinge' });
  return el(
    'body',
    { name: `thigh${suffix}`, pos: [0, 0, -0.19999999999999996] },
    hinge(`thigh${suffix}_joint`, [0, 0, 0], [-150, 0]),
    el('geom', {
      friction: [0.9],
      pos: [0, 0, -0.2250000000000001],
      name: `thigh${suffix}_geom`,
      rgba,
      size: [0.05, 0.22500000000000003],
      type: 'capsule',
    }),
    el(
      'body',
      { name: `leg${suffix}`, pos: [0, 0, -0.7000000000000001] },
      hinge(`leg${suffix}_joint`, [0, 0, 0.25], [-150, 0]),
      el('geom', { friction: [0.9], name: `leg${suffix}_geom`, rgba, size: [0.04, 0.25], type: 'capsule' }),
      el(
        'body',
        { name: `foot${suffix}`, pos: [0.2, 0, -0.35] },
        hinge(`foot${suffix}_joint`, [-0.2, 0, 0.1], [-45, 45]),
        el('geom', {
          friction: [FOOT_FRICTION],
          pos: [-0.1, 0, 0.1],
          quat: FOOT_QUAT,
          name: `foot${suffix}_geom`,
          rgba,
          size: [0.06, 0.1],
          type: 'capsule',
        }),
      ),
    ),
  );
}

/** The MJCF of `walker2d_v5.xml` (angles in degrees, geom density 1000). */
export function walker2dXml(): string {
  const left = [0.7, 0.3, 0.6, 1];
  const joints = [
    'thigh_joint',
    'leg_joint',
    'foot_joint',
    'thigh_left_joint',
    'leg_left_joint',
    'foot_left_joint',
  ];
  return toXml(
    el(
      'mujoco',
      { model: 'walker2d' },
      el('compiler', { angle: 'degree', inertiafromgeom: true }),
      el(
        'default',
        {},
        el('joint', { armature: 0.01, damping: 0.1, limited: true }),
        el('geom', {
          conaffinity: 0,
          condim: 3,
          contype: 1,
          density: 1000,
          friction: [0.7, 0.1, 0.1],
          rgba: [0.8, 0.6, 0.4, 1],
        }),
      ),
      el('option', { integrator: 'RK4', timestep: 0.002 }),
      el('worldbody', {}, floorGeom([40, 40, 40]), planarTorso(leg('', undefined), leg('_left', left))),
      el(
        'actuator',
        {},
        ...joints.map((joint) => el('motor', { ctrllimited: true, ctrlrange: [-1, 1], gear: 100, joint })),
      ),
    ),
  );
}

export class Walker2d extends PlanarWalkerEnv {
  static async create(seed = 0): Promise<Walker2d> {
    return new Walker2d(await loadMujoco(), seed);
  }

  constructor(mj: Mujoco, seed = 0) {
    super(mj, { spec: WALKER2D_SPEC, xml: walker2dXml(), frameSkip: FRAME_SKIP }, seed);
  }

  get isHealthy(): boolean {
    const z = this.qpos[1];
    const angle = this.qpos[2];
    const healthyZ = HEALTHY_Z_RANGE[0] < z && z < HEALTHY_Z_RANGE[1];
    const healthyAngle = HEALTHY_ANGLE_RANGE[0] < angle && angle < HEALTHY_ANGLE_RANGE[1];
    return healthyZ && healthyAngle;
  }
}
