/**
 * Hopper-v5, a port of Gymnasium 1.x `mujoco/hopper_v5.py` with its model `assets/hopper.xml` (the same
 * bodies, joints, geoms and options, written here as TypeScript).
 *
 * - Observation (11): qpos without the root x, then qvel clipped to [-10, 10].
 * - Reward: Δx/dt + healthy_reward (1 while healthy) − 1e-3 · Σ action².
 * - Healthy: every component of [qpos[2:], qvel] in (-100, 100), z = qpos[1] > 0.7 and the torso angle
 *   qpos[2] in (-0.2, 0.2), all strict. Terminated when unhealthy.
 * - Reset: qpos and qvel each init + U(-0.005, 0.005). frame_skip 4, timestep 0.002 (RK4): dt = 0.008.
 */

import type { EnvSpec } from '../types';
import { loadMujoco, type Mujoco } from './loadMujoco';
import { el, floorGeom, type MjcfElement, toXml } from './mjcf';
import { PlanarWalkerEnv } from './planarWalker';

const FRAME_SKIP = 4;
const HEALTHY_STATE_RANGE = [-100, 100] as const;
const HEALTHY_Z_RANGE = [0.7, Number.POSITIVE_INFINITY] as const;
const HEALTHY_ANGLE_RANGE = [-0.2, 0.2] as const;

/** The foot capsule's orientation: a quarter turn about y, as Gymnasium's XML writes it (two doubles). */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: the exact doubles of Gymnasium's XML.
const FOOT_QUAT = [0.7071067811865476, 0, -0.7071067811865475, 0];

export const HOPPER_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'Hopper-v5',
  observationSize: 11,
  actionSize: 3,
  actionLow: [-1, -1, -1],
  actionHigh: [1, 1, 1],
  maxEpisodeSteps: 1000,
});

/**
 * The torso of Hopper and Walker2d (the same in both, 1.25 above the floor) on its planar root joints, with
 * the body's `legs` below it.
 */
export function planarTorso(...legs: MjcfElement[]): MjcfElement {
  return el(
    'body',
    { name: 'torso', pos: [0, 0, 1.25] },
    ...planarRootJoints(1.25),
    el('geom', {
      friction: [0.9],
      name: 'torso_geom',
      size: [0.05, 0.19999999999999996],
      type: 'capsule',
    }),
    ...legs,
  );
}

/** The root's planar joints: x and z slides about the floor origin, and the pitch hinge at the torso. */
function planarRootJoints(height: number) {
  const common = { armature: 0, damping: 0, limited: false, stiffness: 0 };
  return [
    el('joint', { ...common, axis: [1, 0, 0], name: 'rootx', pos: [0, 0, -height], type: 'slide' }),
    el('joint', {
      ...common,
      axis: [0, 0, 1],
      name: 'rootz',
      pos: [0, 0, -height],
      ref: height,
      type: 'slide',
    }),
    el('joint', { ...common, axis: [0, 1, 0], name: 'rooty', pos: [0, 0, 0], type: 'hinge' }),
  ];
}

/** The MJCF of `hopper.xml` (angles in degrees). */
export function hopperXml(): string {
  const motor = (joint: string) => el('motor', { ctrllimited: true, ctrlrange: [-1, 1], gear: 200, joint });
  return toXml(
    el(
      'mujoco',
      { model: 'hopper' },
      el('compiler', { angle: 'degree', inertiafromgeom: true }),
      el(
        'default',
        {},
        el('joint', { armature: 1, damping: 1, limited: true }),
        el('geom', {
          conaffinity: 1,
          condim: 1,
          contype: 1,
          margin: 0.001,
          rgba: [0.8, 0.6, 0.4, 1],
          solimp: [0.8, 0.8, 0.01],
          solref: [0.02, 1],
        }),
        el('motor', { ctrllimited: true, ctrlrange: [-0.4, 0.4] }),
      ),
      el('option', { integrator: 'RK4', timestep: 0.002 }),
      el(
        'worldbody',
        {},
        floorGeom([20, 20, 0.125]),
        planarTorso(
          el(
            'body',
            { name: 'thigh', pos: [0, 0, -0.19999999999999996] },
            el('joint', {
              axis: [0, -1, 0],
              name: 'thigh_joint',
              pos: [0, 0, 0],
              range: [-150, 0],
              type: 'hinge',
            }),
            el('geom', {
              friction: [0.9],
              pos: [0, 0, -0.2250000000000001],
              name: 'thigh_geom',
              size: [0.05, 0.22500000000000003],
              type: 'capsule',
            }),
            el(
              'body',
              { name: 'leg', pos: [0, 0, -0.7000000000000001] },
              el('joint', {
                axis: [0, -1, 0],
                name: 'leg_joint',
                pos: [0, 0, 0.25],
                range: [-150, 0],
                type: 'hinge',
              }),
              el('geom', { friction: [0.9], name: 'leg_geom', size: [0.04, 0.25], type: 'capsule' }),
              el(
                'body',
                { name: 'foot', pos: [0.13, 0, -0.35] },
                el('joint', {
                  axis: [0, -1, 0],
                  name: 'foot_joint',
                  pos: [-0.13, 0, 0.1],
                  range: [-45, 45],
                  type: 'hinge',
                }),
                el('geom', {
                  friction: [2.0],
                  pos: [-0.065, 0, 0.1],
                  quat: FOOT_QUAT,
                  name: 'foot_geom',
                  size: [0.06, 0.195],
                  type: 'capsule',
                }),
              ),
            ),
          ),
        ),
      ),
      el('actuator', {}, motor('thigh_joint'), motor('leg_joint'), motor('foot_joint')),
    ),
  );
}

export class Hopper extends PlanarWalkerEnv {
  static async create(seed = 0): Promise<Hopper> {
    return new Hopper(await loadMujoco(), seed);
  }

  constructor(mj: Mujoco, seed = 0) {
    super(mj, { spec: HOPPER_SPEC, xml: hopperXml(), frameSkip: FRAME_SKIP }, seed);
  }

  get isHealthy(): boolean {
    const qpos = this.qpos;
    const z = qpos[1];
    const angle = qpos[2];
    const [minState, maxState] = HEALTHY_STATE_RANGE;
    const inRange = (x: number) => minState < x && x < maxState;
    const healthyState = qpos.subarray(2).every(inRange) && this.qvel.every(inRange);
    const healthyZ = HEALTHY_Z_RANGE[0] < z && z < HEALTHY_Z_RANGE[1];
    const healthyAngle = HEALTHY_ANGLE_RANGE[0] < angle && angle < HEALTHY_ANGLE_RANGE[1];
    return healthyState && healthyZ && healthyAngle;
  }
}
