/**
 * InvertedPendulum-v5, a port of Gymnasium 1.x `mujoco/inverted_pendulum_v5.py` with its model
 * `assets/inverted_pendulum.xml` (the same bodies, joints, geoms and options, written here as TypeScript).
 *
 * - Observation (4): [qpos (cart x, pole angle), qvel].
 * - Reward: 1 while the pole is within 0.2 rad of upright, 0 on the step that ends the episode.
 * - Terminated: |pole angle| > 0.2 or a non-finite observation.
 * - Reset: qpos and qvel each init + U(-0.01, 0.01). frame_skip 2, timestep 0.02 (RK4): dt = 0.04.
 */

import type { Random } from '../../common/random';
import type { EnvSpec } from '../types';
import { loadMujoco, type Mujoco } from './loadMujoco';
import { el, toXml } from './mjcf';
import { MujocoEnv } from './mujocoEnv';

const FRAME_SKIP = 2;
const RESET_NOISE_SCALE = 0.01;
const MAX_POLE_ANGLE = 0.2;

export const INVERTED_PENDULUM_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'InvertedPendulum-v5',
  observationSize: 4,
  actionSize: 1,
  actionLow: [-3],
  actionHigh: [3],
  maxEpisodeSteps: 1000,
});

/** The MJCF of `inverted_pendulum.xml` (angles in degrees, the compiler's default). */
export function invertedPendulumXml(): string {
  // biome-ignore lint/suspicious/noApproximativeNumericConstant: Gymnasium's value; MuJoCo normalises it.
  const capsuleAlongX = [0.707, 0, 0.707, 0];
  return toXml(
    el(
      'mujoco',
      { model: 'inverted pendulum' },
      el('compiler', { inertiafromgeom: true }),
      el(
        'default',
        {},
        el('joint', { armature: 0, damping: 1, limited: true }),
        el('geom', { contype: 0, friction: [1, 0.1, 0.1], rgba: [0.7, 0.7, 0, 1] }),
        el('motor', { ctrlrange: [-3, 3] }),
      ),
      el('option', { gravity: [0, 0, -9.81], integrator: 'RK4', timestep: 0.02 }),
      el('size', { nstack: 3000 }),
      el(
        'worldbody',
        {},
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
            el('joint', { axis: [0, 1, 0], name: 'hinge', pos: [0, 0, 0], range: [-90, 90], type: 'hinge' }),
            el('geom', {
              fromto: [0, 0, 0, 0.001, 0, 0.6],
              name: 'cpole',
              rgba: [0, 0.7, 0.7, 1],
              size: [0.049, 0.3],
              type: 'capsule',
            }),
          ),
        ),
      ),
      el(
        'actuator',
        {},
        el('motor', { ctrllimited: true, ctrlrange: [-3, 3], gear: 100, joint: 'slider', name: 'slide' }),
      ),
    ),
  );
}

export class InvertedPendulum extends MujocoEnv {
  static async create(seed = 0): Promise<InvertedPendulum> {
    return new InvertedPendulum(await loadMujoco(), seed);
  }

  constructor(mj: Mujoco, seed = 0) {
    super(mj, { spec: INVERTED_PENDULUM_SPEC, xml: invertedPendulumXml(), frameSkip: FRAME_SKIP }, seed);
  }

  protected resetModel(rng: Random): void {
    const qpos = MujocoEnv.uniformNoise(rng, this.initQpos, RESET_NOISE_SCALE);
    const qvel = MujocoEnv.uniformNoise(rng, this.initQvel, RESET_NOISE_SCALE);
    this.setQposQvel(qpos, qvel);
  }

  protected simulate(action: Float32Array): { reward: number; terminated: boolean } {
    this.doSimulation(action);
    // Gymnasium tests the float64 observation; the state is that observation.
    const state = [...this.qpos, ...this.qvel];
    const terminated = !state.every(Number.isFinite) || Math.abs(state[1]) > MAX_POLE_ANGLE;
    return { reward: terminated ? 0 : 1, terminated };
  }

  protected observation(): Float32Array {
    const obs = new Float32Array(4);
    obs.set(this.qpos, 0);
    obs.set(this.qvel, 2);
    return obs;
  }
}
