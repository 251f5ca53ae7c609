/**
 * InvertedDoublePendulum-v5, a port of Gymnasium 1.x `mujoco/inverted_double_pendulum_v5.py` with its model
 * `assets/inverted_double_pendulum.xml` (the same bodies, joints, geoms and options, written here as
 * TypeScript; the XML's unused `frame_skip` custom numeric is left out, v5 uses 5).
 *
 * - Observation (9): [cart x, sin(θ1), sin(θ2), cos(θ1), cos(θ2), qvel clipped to ±10, the cart's
 *   qfrc_constraint clipped to ±10].
 * - With (x, y) the world x and z of the tip site: terminated when y ≤ 1; reward = 10 · (not terminated)
 *   − (0.01 x² + (y − 2)²) − (1e-3 v1² + 5e-3 v2²), v1, v2 the hinge velocities.
 * - Reset: qpos = init + U(-0.1, 0.1), qvel = init + 0.1 · N(0, 1). frame_skip 5, timestep 0.01 (RK4):
 *   dt = 0.05.
 */

import type { Random } from '../../common/random';
import type { EnvSpec } from '../types';
import { loadMujoco, type Mujoco } from './loadMujoco';
import { el, toXml } from './mjcf';
import { MujocoEnv } from './mujocoEnv';

const FRAME_SKIP = 5;
const HEALTHY_REWARD = 10;
const RESET_NOISE_SCALE = 0.1;
const CLIP = 10;

export const INVERTED_DOUBLE_PENDULUM_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'InvertedDoublePendulum-v5',
  observationSize: 9,
  actionSize: 1,
  actionLow: [-1],
  actionHigh: [1],
  maxEpisodeSteps: 1000,
});

function clip(x: number): number {
  return Math.min(Math.max(x, -CLIP), CLIP);
}

/** The MJCF of `inverted_double_pendulum.xml` (angles in degrees, the compiler's default). */
export function invertedDoublePendulumXml(): string {
  // biome-ignore lint/suspicious/noApproximativeNumericConstant: Gymnasium's value; MuJoCo normalises it.
  const capsuleAlongX = [0.707, 0, 0.707, 0];
  const pole = (name: string) =>
    el('geom', {
      fromto: [0, 0, 0, 0, 0, 0.6],
      name,
      rgba: [0, 0.7, 0.7, 1],
      size: [0.045, 0.3],
      type: 'capsule',
    });
  return toXml(
    el(
      'mujoco',
      { model: 'cartpole' },
      el('compiler', { inertiafromgeom: true }),
      el(
        'default',
        {},
        el('joint', { damping: 0.05 }),
        el('geom', { contype: 0, friction: [1, 0.1, 0.1], rgba: [0.7, 0.7, 0, 1] }),
      ),
      el('option', { gravity: [1e-5, 0, -9.81], integrator: 'RK4', timestep: 0.01 }),
      el('size', { nstack: 3000 }),
      el(
        'worldbody',
        {},
        el('geom', {
          name: 'floor',
          pos: [0, 0, -3.0],
          rgba: [0.8, 0.9, 0.8, 1],
          size: [40, 40, 40],
          type: 'plane',
        }),
        el('geom', {
          name: 'rail',
          pos: [0, 0, 0],
          quat: capsuleAlongX,
          rgba: [0.3, 0.3, 0.7, 1],
          size: [0.02, 1],
          type: 'capsule',
        }),
        el(
          'body',
          { name: 'cart', pos: [0, 0, 0] },
          el('joint', {
            axis: [1, 0, 0],
            limited: true,
            margin: 0.01,
            name: 'slider',
            pos: [0, 0, 0],
            range: [-1, 1],
            type: 'slide',
          }),
          el('geom', {
            name: 'cart',
            pos: [0, 0, 0],
            quat: capsuleAlongX,
            size: [0.1, 0.1],
            type: 'capsule',
          }),
          el(
            'body',
            { name: 'pole', pos: [0, 0, 0] },
            el('joint', { axis: [0, 1, 0], name: 'hinge', pos: [0, 0, 0], type: 'hinge' }),
            pole('cpole'),
            el(
              'body',
              { name: 'pole2', pos: [0, 0, 0.6] },
              el('joint', { axis: [0, 1, 0], name: 'hinge2', pos: [0, 0, 0], type: 'hinge' }),
              pole('cpole2'),
              el('site', { name: 'tip', pos: [0, 0, 0.6], size: [0.01, 0.01] }),
            ),
          ),
        ),
      ),
      el(
        'actuator',
        {},
        el('motor', { ctrllimited: true, ctrlrange: [-1, 1], gear: 500, joint: 'slider', name: 'slide' }),
      ),
    ),
  );
}

export class InvertedDoublePendulum extends MujocoEnv {
  private readonly tipSite: number;

  static async create(seed = 0): Promise<InvertedDoublePendulum> {
    return new InvertedDoublePendulum(await loadMujoco(), seed);
  }

  constructor(mj: Mujoco, seed = 0) {
    super(
      mj,
      { spec: INVERTED_DOUBLE_PENDULUM_SPEC, xml: invertedDoublePendulumXml(), frameSkip: FRAME_SKIP },
      seed,
    );
    try {
      this.tipSite = this.siteId('tip');
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** The tip site's world position (Gymnasium's `data.site_xpos[0]`). */
  tipPosition(): Float64Array {
    return this.dataArray('site_xpos').slice(3 * this.tipSite, 3 * this.tipSite + 3);
  }

  protected resetModel(rng: Random): void {
    const qpos = MujocoEnv.uniformNoise(rng, this.initQpos, RESET_NOISE_SCALE);
    const qvel = MujocoEnv.normalNoise(rng, this.initQvel, RESET_NOISE_SCALE);
    this.setQposQvel(qpos, qvel);
  }

  protected simulate(action: Float32Array): { reward: number; terminated: boolean } {
    this.doSimulation(action);
    const [x, , y] = this.tipPosition();
    const terminated = y <= 1;
    const v1 = this.qvel[1];
    const v2 = this.qvel[2];
    const distPenalty = 0.01 * (x * x) + (y - 2) * (y - 2);
    const velPenalty = 1e-3 * (v1 * v1) + 5e-3 * (v2 * v2);
    const aliveBonus = terminated ? 0 : HEALTHY_REWARD;
    return { reward: aliveBonus - distPenalty - velPenalty, terminated };
  }

  protected observation(): Float32Array {
    const qpos = this.qpos;
    const qvel = this.qvel;
    const constraint = this.dataArray('qfrc_constraint');
    return Float32Array.of(
      qpos[0],
      Math.sin(qpos[1]),
      Math.sin(qpos[2]),
      Math.cos(qpos[1]),
      Math.cos(qpos[2]),
      clip(qvel[0]),
      clip(qvel[1]),
      clip(qvel[2]),
      clip(constraint[0]),
    );
  }
}
