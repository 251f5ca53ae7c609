/**
 * HalfCheetah-v5, a port of Gymnasium 1.x `mujoco/half_cheetah_v5.py` with its model
 * `assets/half_cheetah.xml` (the same bodies, joints, geoms and options, written here as TypeScript).
 *
 * - Observation (17): qpos without the root x, then qvel.
 * - Reward: forward_reward_weight (1) · Δx/dt − ctrl_cost_weight (0.1) · Σ action².
 * - Never terminates. Reset: qpos = init + U(-0.1, 0.1), qvel = init + 0.1 · N(0, 1).
 * - frame_skip 5, timestep 0.01 (Euler): dt = 0.05.
 */

import type { Random } from '../../common/random';
import type { EnvSpec } from '../types';
import { loadMujoco, type Mujoco } from './loadMujoco';
import { el, floorGeom, type MjcfElement, toXml } from './mjcf';
import { MujocoEnv } from './mujocoEnv';

const FRAME_SKIP = 5;
const FORWARD_REWARD_WEIGHT = 1;
const CTRL_COST_WEIGHT = 0.1;
const RESET_NOISE_SCALE = 0.1;

export const HALF_CHEETAH_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'HalfCheetah-v5',
  observationSize: 17,
  actionSize: 6,
  actionLow: [-1, -1, -1, -1, -1, -1],
  actionHigh: [1, 1, 1, 1, 1, 1],
  maxEpisodeSteps: 1000,
});

/** A leg segment: a hinge about y and a capsule tilted by `angle` (radians) about y. */
function segment(
  name: string,
  pos: number[],
  joint: { damping: number; range: [number, number]; stiffness: number },
  geom: { angle: number; pos: number[]; halfLength: number; rgba?: number[] },
  ...children: MjcfElement[]
): MjcfElement {
  return el(
    'body',
    { name, pos },
    el('joint', {
      axis: [0, 1, 0],
      damping: joint.damping,
      name,
      pos: [0, 0, 0],
      range: joint.range,
      stiffness: joint.stiffness,
      type: 'hinge',
    }),
    el('geom', {
      axisangle: [0, 1, 0, geom.angle],
      name,
      pos: geom.pos,
      rgba: geom.rgba,
      size: [0.046, geom.halfLength],
      type: 'capsule',
    }),
    ...children,
  );
}

/** The MJCF of `half_cheetah.xml` (angles in radians; masses scaled to a total of 14 kg). */
export function halfCheetahXml(): string {
  const shin = [0.9, 0.6, 0.6, 1];
  const rootJoint = (name: string, axis: number[], type: string) =>
    el('joint', { armature: 0, axis, damping: 0, limited: false, name, pos: [0, 0, 0], stiffness: 0, type });
  return toXml(
    el(
      'mujoco',
      { model: 'cheetah' },
      el('compiler', { angle: 'radian', inertiafromgeom: true, settotalmass: 14 }),
      el(
        'default',
        {},
        el('joint', {
          armature: 0.1,
          damping: 0.01,
          limited: true,
          solimplimit: [0, 0.8, 0.03],
          solreflimit: [0.02, 1],
          stiffness: 8,
        }),
        el('geom', {
          conaffinity: 0,
          condim: 3,
          contype: 1,
          friction: [0.4, 0.1, 0.1],
          rgba: [0.8, 0.6, 0.4, 1],
          solimp: [0, 0.8, 0.01],
          solref: [0.02, 1],
        }),
        el('motor', { ctrllimited: true, ctrlrange: [-1, 1] }),
      ),
      el('size', { nstack: 300000 }),
      el('option', { gravity: [0, 0, -9.81], timestep: 0.01 }),
      el(
        'worldbody',
        {},
        floorGeom([40, 40, 40]),
        el(
          'body',
          { name: 'torso', pos: [0, 0, 0.7] },
          rootJoint('rootx', [1, 0, 0], 'slide'),
          rootJoint('rootz', [0, 0, 1], 'slide'),
          rootJoint('rooty', [0, 1, 0], 'hinge'),
          el('geom', { fromto: [-0.5, 0, 0, 0.5, 0, 0], name: 'torso', size: [0.046], type: 'capsule' }),
          el('geom', {
            axisangle: [0, 1, 0, 0.87],
            name: 'head',
            pos: [0.6, 0, 0.1],
            size: [0.046, 0.15],
            type: 'capsule',
          }),
          segment(
            'bthigh',
            [-0.5, 0, 0],
            { damping: 6, range: [-0.52, 1.05], stiffness: 240 },
            { angle: -3.8, pos: [0.1, 0, -0.13], halfLength: 0.145 },
            segment(
              'bshin',
              [0.16, 0, -0.25],
              { damping: 4.5, range: [-0.785, 0.785], stiffness: 180 },
              { angle: -2.03, pos: [-0.14, 0, -0.07], halfLength: 0.15, rgba: shin },
              segment(
                'bfoot',
                [-0.28, 0, -0.14],
                { damping: 3, range: [-0.4, 0.785], stiffness: 120 },
                { angle: -0.27, pos: [0.03, 0, -0.097], halfLength: 0.094, rgba: shin },
              ),
            ),
          ),
          segment(
            'fthigh',
            [0.5, 0, 0],
            { damping: 4.5, range: [-1, 0.7], stiffness: 180 },
            { angle: 0.52, pos: [-0.07, 0, -0.12], halfLength: 0.133 },
            segment(
              'fshin',
              [-0.14, 0, -0.24],
              { damping: 3, range: [-1.2, 0.87], stiffness: 120 },
              { angle: -0.6, pos: [0.065, 0, -0.09], halfLength: 0.106, rgba: shin },
              segment(
                'ffoot',
                [0.13, 0, -0.18],
                { damping: 1.5, range: [-0.5, 0.5], stiffness: 60 },
                { angle: -0.6, pos: [0.045, 0, -0.07], halfLength: 0.07, rgba: shin },
              ),
            ),
          ),
        ),
      ),
      el(
        'actuator',
        {},
        ...(
          [
            ['bthigh', 120],
            ['bshin', 90],
            ['bfoot', 60],
            ['fthigh', 120],
            ['fshin', 60],
            ['ffoot', 30],
          ] as const
        ).map(([joint, gear]) => el('motor', { gear, joint, name: joint })),
      ),
    ),
  );
}

export class HalfCheetah extends MujocoEnv {
  static async create(seed = 0): Promise<HalfCheetah> {
    return new HalfCheetah(await loadMujoco(), seed);
  }

  constructor(mj: Mujoco, seed = 0) {
    super(mj, { spec: HALF_CHEETAH_SPEC, xml: halfCheetahXml(), frameSkip: FRAME_SKIP }, seed);
  }

  protected resetModel(rng: Random): void {
    const qpos = MujocoEnv.uniformNoise(rng, this.initQpos, RESET_NOISE_SCALE);
    const qvel = MujocoEnv.normalNoise(rng, this.initQvel, RESET_NOISE_SCALE);
    this.setQposQvel(qpos, qvel);
  }

  protected simulate(action: Float32Array): { reward: number; terminated: boolean } {
    const xBefore = this.qpos[0];
    this.doSimulation(action);
    const xVelocity = (this.qpos[0] - xBefore) / this.dt;
    const forwardReward = FORWARD_REWARD_WEIGHT * xVelocity;
    const ctrlCost = CTRL_COST_WEIGHT * MujocoEnv.sumOfSquares(action);
    return { reward: forwardReward - ctrlCost, terminated: false };
  }

  protected observation(): Float32Array {
    const obs = new Float32Array(this.spec.observationSize);
    obs.set(this.qpos.subarray(1), 0);
    obs.set(this.qvel, this.nq - 1);
    return obs;
  }
}
