/**
 * Reacher-v5, a port of Gymnasium 1.x `mujoco/reacher_v5.py` with its model `assets/reacher.xml` (the same
 * bodies, joints, geoms and options, written here as TypeScript).
 *
 * - Observation (10): [cos θ1, cos θ2, sin θ1, sin θ2, target x, target y, θ1dot, θ2dot, (fingertip −
 *   target) x, y], the last two from the bodies' world positions.
 * - Reward: −‖fingertip − target‖ (3-D) − Σ action² (both weights 1). Never terminates; 50-step limit.
 * - Reset: qpos = init + U(-0.1, 0.1); the goal is drawn from U(-0.2, 0.2)² until its norm is below 0.2
 *   and written into the target joints; qvel = init + U(-0.005, 0.005) with the target's velocity 0.
 * - frame_skip 2, timestep 0.01 (RK4): dt = 0.02.
 */

import type { Random } from '../../common/random';
import type { EnvSpec } from '../types';
import { loadMujoco, type Mujoco } from './loadMujoco';
import { el, toXml } from './mjcf';
import { MujocoEnv } from './mujocoEnv';

const FRAME_SKIP = 2;
const REWARD_DIST_WEIGHT = 1;
const REWARD_CONTROL_WEIGHT = 1;
const QPOS_NOISE = 0.1;
const QVEL_NOISE = 0.005;
const GOAL_RANGE = 0.2;

export const REACHER_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'Reacher-v5',
  observationSize: 10,
  actionSize: 2,
  actionLow: [-1, -1],
  actionHigh: [1, 1],
  maxEpisodeSteps: 50,
});

/** The MJCF of `reacher.xml` (angles in radians). */
export function reacherXml(): string {
  const wall = (name: string, fromto: number[]) =>
    el('geom', { conaffinity: 0, fromto, name, rgba: [0.9, 0.4, 0.6, 1], size: [0.02], type: 'capsule' });
  const link = (name: string) =>
    el('geom', { fromto: [0, 0, 0, 0.1, 0, 0], name, rgba: [0, 0.4, 0.6, 1], size: [0.01], type: 'capsule' });
  const targetJoint = (name: string, axis: number[], ref: number) =>
    el('joint', {
      armature: 0,
      axis,
      damping: 0,
      limited: true,
      name,
      pos: [0, 0, 0],
      range: [-0.27, 0.27],
      ref,
      stiffness: 0,
      type: 'slide',
    });
  const motor = (joint: string) => el('motor', { ctrllimited: true, ctrlrange: [-1, 1], gear: 200, joint });
  return toXml(
    el(
      'mujoco',
      { model: 'reacher' },
      el('compiler', { angle: 'radian', inertiafromgeom: true }),
      el(
        'default',
        {},
        el('joint', { armature: 1, damping: 1, limited: true }),
        el('geom', { contype: 0, friction: [1, 0.1, 0.1], rgba: [0.7, 0.7, 0, 1] }),
      ),
      el('option', { gravity: [0, 0, -9.81], integrator: 'RK4', timestep: 0.01 }),
      el(
        'worldbody',
        {},
        el('geom', {
          conaffinity: 0,
          contype: 0,
          name: 'ground',
          pos: [0, 0, 0],
          rgba: [0.9, 0.9, 0.9, 1],
          size: [1, 1, 10],
          type: 'plane',
        }),
        wall('sideS', [-0.3, -0.3, 0.01, 0.3, -0.3, 0.01]),
        wall('sideE', [0.3, -0.3, 0.01, 0.3, 0.3, 0.01]),
        wall('sideN', [-0.3, 0.3, 0.01, 0.3, 0.3, 0.01]),
        wall('sideW', [-0.3, -0.3, 0.01, -0.3, 0.3, 0.01]),
        el('geom', {
          conaffinity: 0,
          contype: 0,
          fromto: [0, 0, 0, 0, 0, 0.02],
          name: 'root',
          rgba: [0.9, 0.4, 0.6, 1],
          size: [0.011],
          type: 'cylinder',
        }),
        el(
          'body',
          { name: 'body0', pos: [0, 0, 0.01] },
          link('link0'),
          el('joint', { axis: [0, 0, 1], limited: false, name: 'joint0', pos: [0, 0, 0], type: 'hinge' }),
          el(
            'body',
            { name: 'body1', pos: [0.1, 0, 0] },
            el('joint', {
              axis: [0, 0, 1],
              limited: true,
              name: 'joint1',
              pos: [0, 0, 0],
              range: [-3.0, 3.0],
              type: 'hinge',
            }),
            link('link1'),
            el(
              'body',
              { name: 'fingertip', pos: [0.11, 0, 0] },
              el('geom', {
                contype: 0,
                name: 'fingertip',
                pos: [0, 0, 0],
                rgba: [0, 0.8, 0.6, 1],
                size: [0.01],
                type: 'sphere',
              }),
            ),
          ),
        ),
        el(
          'body',
          { name: 'target', pos: [0.1, -0.1, 0.01] },
          targetJoint('target_x', [1, 0, 0], 0.1),
          targetJoint('target_y', [0, 1, 0], -0.1),
          el('geom', {
            conaffinity: 0,
            contype: 0,
            name: 'target',
            pos: [0, 0, 0],
            rgba: [0.9, 0.2, 0.2, 1],
            size: [0.009],
            type: 'sphere',
          }),
        ),
      ),
      el('actuator', {}, motor('joint0'), motor('joint1')),
    ),
  );
}

export class Reacher extends MujocoEnv {
  private readonly fingertipBody: number;
  private readonly targetBody: number;
  /** The goal drawn by the last reset (Gymnasium's `self.goal`). */
  goal: [number, number] = [0, 0];

  static async create(seed = 0): Promise<Reacher> {
    return new Reacher(await loadMujoco(), seed);
  }

  constructor(mj: Mujoco, seed = 0) {
    super(mj, { spec: REACHER_SPEC, xml: reacherXml(), frameSkip: FRAME_SKIP }, seed);
    try {
      this.fingertipBody = this.bodyId('fingertip');
      this.targetBody = this.bodyId('target');
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** fingertip − target in world coordinates, from the bodies' frame origins (`get_body_com`, i.e. xpos). */
  fingertipToTarget(): [number, number, number] {
    const xpos = this.dataArray('xpos');
    const f = 3 * this.fingertipBody;
    const t = 3 * this.targetBody;
    return [xpos[f] - xpos[t], xpos[f + 1] - xpos[t + 1], xpos[f + 2] - xpos[t + 2]];
  }

  protected resetModel(rng: Random): void {
    const qpos = MujocoEnv.uniformNoise(rng, this.initQpos, QPOS_NOISE);
    for (;;) {
      const goal: [number, number] = [
        rng.uniformRange(-GOAL_RANGE, GOAL_RANGE),
        rng.uniformRange(-GOAL_RANGE, GOAL_RANGE),
      ];
      // np.linalg.norm of a 1-D float64 array: sqrt(x·x).
      if (Math.sqrt(goal[0] * goal[0] + goal[1] * goal[1]) < GOAL_RANGE) {
        this.goal = goal;
        break;
      }
    }
    qpos[this.nq - 2] = this.goal[0];
    qpos[this.nq - 1] = this.goal[1];
    const qvel = MujocoEnv.uniformNoise(rng, this.initQvel, QVEL_NOISE);
    qvel[this.nv - 2] = 0;
    qvel[this.nv - 1] = 0;
    this.setQposQvel(qpos, qvel);
  }

  protected simulate(action: Float32Array): { reward: number; terminated: boolean } {
    this.doSimulation(action);
    const [dx, dy, dz] = this.fingertipToTarget();
    const rewardDist = -Math.sqrt(dx * dx + dy * dy + dz * dz) * REWARD_DIST_WEIGHT;
    const rewardCtrl = -MujocoEnv.sumOfSquares(action) * REWARD_CONTROL_WEIGHT;
    return { reward: rewardDist + rewardCtrl, terminated: false };
  }

  protected observation(): Float32Array {
    const qpos = this.qpos;
    const qvel = this.qvel;
    const [dx, dy] = this.fingertipToTarget();
    return Float32Array.of(
      Math.cos(qpos[0]),
      Math.cos(qpos[1]),
      Math.sin(qpos[0]),
      Math.sin(qpos[1]),
      qpos[2],
      qpos[3],
      qvel[0],
      qvel[1],
      dx,
      dy,
    );
  }
}
