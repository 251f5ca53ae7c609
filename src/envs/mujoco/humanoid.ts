/**
 * Humanoid-v5, a port of Gymnasium 1.x `mujoco/humanoid_v5.py` with its model `assets/humanoid.xml` (the
 * same bodies, joints, geoms, tendons and options, written here as TypeScript; keyframe slots, geom user
 * data, the camera and materials, which do not enter the dynamics, are left out).
 *
 * v5 defaults: the observation includes cinert, cvel, qfrc_actuator and cfrc_ext
 * (`include_*_in_observation=True`) and excludes the torso's x, y.
 *
 * - Observation (348): qpos[2:] (22), qvel (23), cinert of the 13 bodies after the world (130), their cvel
 *   (78), qfrc_actuator without the free joint's 6 dofs (17), their cfrc_ext (78).
 * - Reward: 1.25 · Δx/dt of the mass centre (Σ mᵢ xiposᵢ / Σ mᵢ) + healthy_reward (5 while healthy)
 *   − 0.1 · Σ ctrl² − min(5e-7 · Σ cfrc_ext², 10).
 * - Healthy: 1 < torso z < 2 (strict). Terminated when unhealthy.
 * - Reset: qpos and qvel each init + U(-0.01, 0.01). frame_skip 5, timestep 0.003 (RK4, PGS solver with 50
 *   iterations): dt = 0.015.
 */

import type { Random } from '../../common/random';
import type { EnvSpec } from '../types';
import { loadMujoco, type Mujoco } from './loadMujoco';
import { type AttrValue, el, type MjcfElement, toXml } from './mjcf';
import { MujocoEnv } from './mujocoEnv';

const FRAME_SKIP = 5;
const FORWARD_REWARD_WEIGHT = 1.25;
const CTRL_COST_WEIGHT = 0.1;
const CONTACT_COST_WEIGHT = 5e-7;
const CONTACT_COST_RANGE = [Number.NEGATIVE_INFINITY, 10] as const;
const HEALTHY_REWARD = 5;
const HEALTHY_Z_RANGE = [1, 2] as const;
const RESET_NOISE_SCALE = 1e-2;

export const HUMANOID_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'Humanoid-v5',
  observationSize: 348,
  actionSize: 17,
  actionLow: new Array<number>(17).fill(-0.4),
  actionHigh: new Array<number>(17).fill(0.4),
  maxEpisodeSteps: 1000,
});

type Attrs = Record<string, AttrValue | undefined>;

function hinge(name: string, axis: number[], range: [number, number], attrs: Attrs): MjcfElement {
  return el('joint', { ...attrs, axis, name, pos: attrs.pos ?? [0, 0, 0], range, type: 'hinge' });
}

function capsule(name: string, fromto: number[], size: number[]): MjcfElement {
  return el('geom', { fromto, name, size, type: 'capsule' });
}

function sphere(name: string, pos: number[], radius: number): MjcfElement {
  return el('geom', { name, pos, size: [radius], type: 'sphere' });
}

/** The MJCF of `humanoid.xml` (angles in degrees). The left and right sides differ slightly, as there. */
export function humanoidXml(): string {
  const tilt = [1.0, 0, -0.002, 0];
  const gears: [string, number][] = [
    ['abdomen_y', 100],
    ['abdomen_z', 100],
    ['abdomen_x', 100],
    ['right_hip_x', 100],
    ['right_hip_z', 100],
    ['right_hip_y', 300],
    ['right_knee', 200],
    ['left_hip_x', 100],
    ['left_hip_z', 100],
    ['left_hip_y', 300],
    ['left_knee', 200],
    ['right_shoulder1', 25],
    ['right_shoulder2', 25],
    ['right_elbow', 25],
    ['left_shoulder1', 25],
    ['left_shoulder2', 25],
    ['left_elbow', 25],
  ];
  const fixedTendon = (name: string, hip: string, knee: string) =>
    el('fixed', { name }, el('joint', { coef: -1, joint: hip }), el('joint', { coef: 1, joint: knee }));

  const rightLeg = el(
    'body',
    { name: 'right_thigh', pos: [0, -0.1, -0.04] },
    hinge('right_hip_x', [1, 0, 0], [-25, 5], { armature: 0.01, damping: 5, stiffness: 10 }),
    hinge('right_hip_z', [0, 0, 1], [-60, 35], { armature: 0.01, damping: 5, stiffness: 10 }),
    hinge('right_hip_y', [0, 1, 0], [-110, 20], { armature: 0.008, damping: 5, stiffness: 20 }),
    capsule('right_thigh1', [0, 0, 0, 0, 0.01, -0.34], [0.06]),
    el(
      'body',
      { name: 'right_shin', pos: [0, 0.01, -0.403] },
      hinge('right_knee', [0, -1, 0], [-160, -2], { armature: 0.006, pos: [0, 0, 0.02] }),
      capsule('right_shin1', [0, 0, 0, 0, 0, -0.3], [0.049]),
      el('body', { name: 'right_foot', pos: [0, 0, -0.45] }, sphere('right_foot', [0, 0, 0.1], 0.075)),
    ),
  );
  const leftLeg = el(
    'body',
    { name: 'left_thigh', pos: [0, 0.1, -0.04] },
    hinge('left_hip_x', [-1, 0, 0], [-25, 5], { armature: 0.01, damping: 5, stiffness: 10 }),
    hinge('left_hip_z', [0, 0, -1], [-60, 35], { armature: 0.01, damping: 5, stiffness: 10 }),
    hinge('left_hip_y', [0, 1, 0], [-110, 20], { armature: 0.01, damping: 5, stiffness: 20 }),
    capsule('left_thigh1', [0, 0, 0, 0, -0.01, -0.34], [0.06]),
    el(
      'body',
      { name: 'left_shin', pos: [0, -0.01, -0.403] },
      hinge('left_knee', [0, -1, 0], [-160, -2], { armature: 0.006, pos: [0, 0, 0.02], stiffness: 1 }),
      capsule('left_shin1', [0, 0, 0, 0, 0, -0.3], [0.049]),
      el('body', { name: 'left_foot', pos: [0, 0, -0.45] }, sphere('left_foot', [0, 0, 0.1], 0.075)),
    ),
  );
  const rightArm = el(
    'body',
    { name: 'right_upper_arm', pos: [0, -0.17, 0.06] },
    hinge('right_shoulder1', [2, 1, 1], [-85, 60], { armature: 0.0068, stiffness: 1 }),
    hinge('right_shoulder2', [0, -1, 1], [-85, 60], { armature: 0.0051, stiffness: 1 }),
    capsule('right_uarm1', [0, 0, 0, 0.16, -0.16, -0.16], [0.04, 0.16]),
    el(
      'body',
      { name: 'right_lower_arm', pos: [0.18, -0.18, -0.18] },
      hinge('right_elbow', [0, -1, 1], [-90, 50], { armature: 0.0028, stiffness: 0 }),
      capsule('right_larm', [0.01, 0.01, 0.01, 0.17, 0.17, 0.17], [0.031]),
      sphere('right_hand', [0.18, 0.18, 0.18], 0.04),
    ),
  );
  const leftArm = el(
    'body',
    { name: 'left_upper_arm', pos: [0, 0.17, 0.06] },
    hinge('left_shoulder1', [2, -1, 1], [-60, 85], { armature: 0.0068, stiffness: 1 }),
    hinge('left_shoulder2', [0, 1, 1], [-60, 85], { armature: 0.0051, stiffness: 1 }),
    capsule('left_uarm1', [0, 0, 0, 0.16, 0.16, -0.16], [0.04, 0.16]),
    el(
      'body',
      { name: 'left_lower_arm', pos: [0.18, 0.18, -0.18] },
      hinge('left_elbow', [0, -1, -1], [-90, 50], { armature: 0.0028, stiffness: 0 }),
      capsule('left_larm', [0.01, -0.01, 0.01, 0.17, -0.17, 0.17], [0.031]),
      sphere('left_hand', [0.18, -0.18, 0.18], 0.04),
    ),
  );

  return toXml(
    el(
      'mujoco',
      { model: 'humanoid' },
      el('compiler', { angle: 'degree', inertiafromgeom: true }),
      el(
        'default',
        {},
        el('joint', { armature: 1, damping: 1, limited: true }),
        el('geom', { conaffinity: 1, condim: 1, contype: 1, margin: 0.001, rgba: [0.8, 0.6, 0.4, 1] }),
        el('motor', { ctrllimited: true, ctrlrange: [-0.4, 0.4] }),
      ),
      el('option', { integrator: 'RK4', iterations: 50, solver: 'PGS', timestep: 0.003 }),
      el(
        'worldbody',
        {},
        el('geom', {
          condim: 3,
          friction: [1, 0.1, 0.1],
          name: 'floor',
          pos: [0, 0, 0],
          rgba: [0.8, 0.9, 0.8, 1],
          size: [20, 20, 0.125],
          type: 'plane',
        }),
        el(
          'body',
          { name: 'torso', pos: [0, 0, 1.4] },
          el('joint', {
            armature: 0,
            damping: 0,
            limited: false,
            name: 'root',
            pos: [0, 0, 0],
            stiffness: 0,
            type: 'free',
          }),
          capsule('torso1', [0, -0.07, 0, 0, 0.07, 0], [0.07]),
          sphere('head', [0, 0, 0.19], 0.09),
          capsule('uwaist', [-0.01, -0.06, -0.12, -0.01, 0.06, -0.12], [0.06]),
          el(
            'body',
            { name: 'lwaist', pos: [-0.01, 0, -0.26], quat: tilt },
            capsule('lwaist', [0, -0.06, 0, 0, 0.06, 0], [0.06]),
            hinge('abdomen_z', [0, 0, 1], [-45, 45], {
              armature: 0.02,
              damping: 5,
              pos: [0, 0, 0.065],
              stiffness: 20,
            }),
            hinge('abdomen_y', [0, 1, 0], [-75, 30], {
              armature: 0.02,
              damping: 5,
              pos: [0, 0, 0.065],
              stiffness: 10,
            }),
            el(
              'body',
              { name: 'pelvis', pos: [0, 0, -0.165], quat: tilt },
              hinge('abdomen_x', [1, 0, 0], [-35, 35], {
                armature: 0.02,
                damping: 5,
                pos: [0, 0, 0.1],
                stiffness: 10,
              }),
              capsule('butt', [-0.02, -0.07, 0, -0.02, 0.07, 0], [0.09]),
              rightLeg,
              leftLeg,
            ),
          ),
          rightArm,
          leftArm,
        ),
      ),
      el(
        'tendon',
        {},
        fixedTendon('left_hipknee', 'left_hip_y', 'left_knee'),
        fixedTendon('right_hipknee', 'right_hip_y', 'right_knee'),
      ),
      el('actuator', {}, ...gears.map(([joint, gear]) => el('motor', { gear, joint, name: joint }))),
    ),
  );
}

export class Humanoid extends MujocoEnv {
  static async create(seed = 0): Promise<Humanoid> {
    return new Humanoid(await loadMujoco(), seed);
  }

  constructor(mj: Mujoco, seed = 0) {
    super(mj, { spec: HUMANOID_SPEC, xml: humanoidXml(), frameSkip: FRAME_SKIP }, seed);
  }

  /** Gymnasium's `is_healthy`: 1 < torso z < 2. */
  get isHealthy(): boolean {
    const z = this.qpos[2];
    return HEALTHY_Z_RANGE[0] < z && z < HEALTHY_Z_RANGE[1];
  }

  /** Gymnasium's `mass_center`: the x, y of Σ mᵢ xiposᵢ / Σ mᵢ over all bodies (the world's mass is 0). */
  massCenter(): [number, number] {
    const mass = this.modelArray('body_mass');
    const xipos = this.dataArray('xipos');
    let total = 0;
    let x = 0;
    let y = 0;
    for (let b = 0; b < this.nbody; b++) {
      total += mass[b];
      x += mass[b] * xipos[3 * b];
      y += mass[b] * xipos[3 * b + 1];
    }
    return [x / total, y / total];
  }

  protected resetModel(rng: Random): void {
    const qpos = MujocoEnv.uniformNoise(rng, this.initQpos, RESET_NOISE_SCALE);
    const qvel = MujocoEnv.uniformNoise(rng, this.initQvel, RESET_NOISE_SCALE);
    this.setQposQvel(qpos, qvel);
  }

  protected simulate(action: Float32Array): { reward: number; terminated: boolean } {
    const [xBefore] = this.massCenter();
    this.doSimulation(action);
    const [xAfter] = this.massCenter();
    const xVelocity = (xAfter - xBefore) / this.dt;
    const healthy = this.isHealthy;
    const forwardReward = FORWARD_REWARD_WEIGHT * xVelocity;
    const healthyReward = healthy ? HEALTHY_REWARD : 0;
    // Gymnasium's Humanoid charges data.ctrl (the action in float64, unclamped).
    const ctrlCost = CTRL_COST_WEIGHT * MujocoEnv.sumOfSquares(this.dataArray('ctrl'));
    const rawContactCost = CONTACT_COST_WEIGHT * MujocoEnv.sumOfSquares(this.dataArray('cfrc_ext'));
    const contactCost = Math.min(Math.max(rawContactCost, CONTACT_COST_RANGE[0]), CONTACT_COST_RANGE[1]);
    return { reward: forwardReward + healthyReward - (ctrlCost + contactCost), terminated: !healthy };
  }

  protected observation(): Float32Array {
    const obs = new Float32Array(this.spec.observationSize);
    let at = 0;
    const put = (values: Float64Array) => {
      obs.set(values, at);
      at += values.length;
    };
    put(this.qpos.subarray(2));
    put(this.qvel);
    put(this.dataArray('cinert').subarray(10));
    put(this.dataArray('cvel').subarray(6));
    put(this.dataArray('qfrc_actuator').subarray(6));
    put(this.dataArray('cfrc_ext').subarray(6));
    if (at !== obs.length)
      throw new Error(`${this.spec.id}: observation has ${at} values, expected ${obs.length}`);
    return obs;
  }
}
