/**
 * Ant-v5, a port of Gymnasium 1.x `mujoco/ant_v5.py` with its model `assets/ant.xml` (the same bodies,
 * joints, geoms and options, written here as TypeScript; the XML's unused `init_qpos` custom numeric is
 * left out, Gymnasium takes init_qpos from the model's qpos0).
 *
 * v5 defaults: `include_cfrc_ext_in_observation=True`, `exclude_current_positions_from_observation=True`,
 * `healthy_z_range=(0.2, 1.0)` (inclusive), `contact_force_range=(-1, 1)`, `main_body=1` (the torso).
 *
 * - Observation (105): qpos without the torso's x, y (13), qvel (14), then `cfrc_ext` clipped to [-1, 1] for
 *   the 13 bodies after the world (78).
 * - Reward: Δx/dt of the torso's frame + healthy_reward (1 while healthy) − 0.5 · Σ action²
 *   − 5e-4 · Σ clip(cfrc_ext, -1, 1)² (all bodies).
 * - Healthy: every qpos/qvel component finite and 0.2 ≤ torso z ≤ 1. Terminated when unhealthy.
 * - Reset: qpos = init + U(-0.1, 0.1) (the quaternion is not renormalised, as in Gymnasium),
 *   qvel = init + 0.1 · N(0, 1). frame_skip 5, timestep 0.01 (RK4): dt = 0.05.
 */

import type { Random } from '../../common/random';
import type { EnvSpec } from '../types';
import { loadMujoco, type Mujoco } from './loadMujoco';
import { el, floorGeom, type MjcfElement, toXml } from './mjcf';
import { MujocoEnv } from './mujocoEnv';

const FRAME_SKIP = 5;
const FORWARD_REWARD_WEIGHT = 1;
const CTRL_COST_WEIGHT = 0.5;
const CONTACT_COST_WEIGHT = 5e-4;
const HEALTHY_REWARD = 1;
const MAIN_BODY = 1;
const HEALTHY_Z_RANGE = [0.2, 1.0] as const;
const CONTACT_FORCE_RANGE = [-1, 1] as const;
const RESET_NOISE_SCALE = 0.1;

export const ANT_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'Ant-v5',
  observationSize: 105,
  actionSize: 8,
  actionLow: new Array<number>(8).fill(-1),
  actionHigh: new Array<number>(8).fill(1),
  maxEpisodeSteps: 1000,
});

interface LegSpec {
  body: string;
  /** The leg's direction in the xy plane: (±0.2, ±0.2). */
  dx: number;
  dy: number;
  n: number;
  geoms: [aux: string, upper: string, ankle: string];
  ankleAxis: number[];
  ankleRange: [number, number];
}

const LEGS: LegSpec[] = [
  {
    body: 'front_left_leg',
    dx: 0.2,
    dy: 0.2,
    n: 1,
    geoms: ['aux_1_geom', 'left_leg_geom', 'left_ankle_geom'],
    ankleAxis: [-1, 1, 0],
    ankleRange: [30, 70],
  },
  {
    body: 'front_right_leg',
    dx: -0.2,
    dy: 0.2,
    n: 2,
    geoms: ['aux_2_geom', 'right_leg_geom', 'right_ankle_geom'],
    ankleAxis: [1, 1, 0],
    ankleRange: [-70, -30],
  },
  {
    body: 'back_leg',
    dx: -0.2,
    dy: -0.2,
    n: 3,
    geoms: ['aux_3_geom', 'back_leg_geom', 'third_ankle_geom'],
    ankleAxis: [-1, 1, 0],
    ankleRange: [-70, -30],
  },
  {
    body: 'right_back_leg',
    dx: 0.2,
    dy: -0.2,
    n: 4,
    geoms: ['aux_4_geom', 'rightback_leg_geom', 'fourth_ankle_geom'],
    ankleAxis: [1, 1, 0],
    ankleRange: [30, 70],
  },
];

function leg({ body, dx, dy, n, geoms, ankleAxis, ankleRange }: LegSpec): MjcfElement {
  const capsule = (name: string, scale: number) =>
    el('geom', { fromto: [0, 0, 0, scale * dx, scale * dy, 0], name, size: [0.08], type: 'capsule' });
  return el(
    'body',
    { name: body, pos: [0, 0, 0] },
    capsule(geoms[0], 1),
    el(
      'body',
      { name: `aux_${n}`, pos: [dx, dy, 0] },
      el('joint', { axis: [0, 0, 1], name: `hip_${n}`, pos: [0, 0, 0], range: [-30, 30], type: 'hinge' }),
      capsule(geoms[1], 1),
      el(
        'body',
        { pos: [dx, dy, 0] },
        el('joint', {
          axis: ankleAxis,
          name: `ankle_${n}`,
          pos: [0, 0, 0],
          range: ankleRange,
          type: 'hinge',
        }),
        capsule(geoms[2], 2),
      ),
    ),
  );
}

/** The MJCF of `ant.xml` (angles in degrees, geom density 5). */
export function antXml(): string {
  const actuated = [4, 1, 2, 3].flatMap((n) => [`hip_${n}`, `ankle_${n}`]);
  return toXml(
    el(
      'mujoco',
      { model: 'ant' },
      el('compiler', { angle: 'degree', inertiafromgeom: true }),
      el('option', { integrator: 'RK4', timestep: 0.01 }),
      el(
        'default',
        {},
        el('joint', { armature: 1, damping: 1, limited: true }),
        el('geom', {
          conaffinity: 0,
          condim: 3,
          density: 5.0,
          friction: [1, 0.5, 0.5],
          margin: 0.01,
          rgba: [0.8, 0.6, 0.4, 1],
        }),
      ),
      el(
        'worldbody',
        {},
        floorGeom([40, 40, 40]),
        el(
          'body',
          { name: 'torso', pos: [0, 0, 0.75] },
          el('geom', { name: 'torso_geom', pos: [0, 0, 0], size: [0.25], type: 'sphere' }),
          el('joint', {
            armature: 0,
            damping: 0,
            limited: false,
            margin: 0.01,
            name: 'root',
            pos: [0, 0, 0],
            type: 'free',
          }),
          ...LEGS.map(leg),
        ),
      ),
      el(
        'actuator',
        {},
        ...actuated.map((joint) => el('motor', { ctrllimited: true, ctrlrange: [-1, 1], joint, gear: 150 })),
      ),
    ),
  );
}

export class Ant extends MujocoEnv {
  static async create(seed = 0): Promise<Ant> {
    return new Ant(await loadMujoco(), seed);
  }

  constructor(mj: Mujoco, seed = 0) {
    super(mj, { spec: ANT_SPEC, xml: antXml(), frameSkip: FRAME_SKIP }, seed);
  }

  /** Gymnasium's `is_healthy`: a finite state and the torso's z in [0.2, 1]. */
  get isHealthy(): boolean {
    const z = this.qpos[2];
    const finite = this.qpos.every(Number.isFinite) && this.qvel.every(Number.isFinite);
    return finite && HEALTHY_Z_RANGE[0] <= z && z <= HEALTHY_Z_RANGE[1];
  }

  /** `cfrc_ext` of every body (world first), clipped to the contact force range (Gymnasium's `contact_forces`). */
  contactForces(): Float64Array {
    const [low, high] = CONTACT_FORCE_RANGE;
    return this.dataArray('cfrc_ext').map((f) => Math.min(Math.max(f, low), high));
  }

  protected resetModel(rng: Random): void {
    const qpos = MujocoEnv.uniformNoise(rng, this.initQpos, RESET_NOISE_SCALE);
    const qvel = MujocoEnv.normalNoise(rng, this.initQvel, RESET_NOISE_SCALE);
    this.setQposQvel(qpos, qvel);
  }

  protected simulate(action: Float32Array): { reward: number; terminated: boolean } {
    const xpos = () => this.dataArray('xpos');
    const xBefore = xpos()[3 * MAIN_BODY];
    this.doSimulation(action);
    const xVelocity = (xpos()[3 * MAIN_BODY] - xBefore) / this.dt;
    const healthy = this.isHealthy;
    const forwardReward = xVelocity * FORWARD_REWARD_WEIGHT;
    const healthyReward = healthy ? HEALTHY_REWARD : 0;
    const ctrlCost = CTRL_COST_WEIGHT * MujocoEnv.sumOfSquares(action);
    const contactCost = CONTACT_COST_WEIGHT * MujocoEnv.sumOfSquares(this.contactForces());
    return { reward: forwardReward + healthyReward - (ctrlCost + contactCost), terminated: !healthy };
  }

  protected observation(): Float32Array {
    const obs = new Float32Array(this.spec.observationSize);
    obs.set(this.qpos.subarray(2), 0);
    obs.set(this.qvel, this.nq - 2);
    obs.set(this.contactForces().subarray(6), this.nq - 2 + this.nv);
    return obs;
  }
}
