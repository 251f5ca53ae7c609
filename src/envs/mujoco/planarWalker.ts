/**
 * What Hopper-v5 and Walker2d-v5 share, word for word in Gymnasium's source: the reward
 * Δx/dt + healthy_reward (1 while healthy) − 1e-3 · Σ action², termination when unhealthy, reset noise
 * init + U(-0.005, 0.005) on qpos and qvel, and the observation [qpos without the root x, qvel clipped to
 * [-10, 10]]. Each env says what healthy means.
 */
import type { Random } from '../../common/random';
import { MujocoEnv } from './mujocoEnv';

const FORWARD_REWARD_WEIGHT = 1;
const CTRL_COST_WEIGHT = 1e-3;
const HEALTHY_REWARD = 1;
const RESET_NOISE_SCALE = 5e-3;
const MAX_OBSERVED_SPEED = 10;

export abstract class PlanarWalkerEnv extends MujocoEnv {
  /** Gymnasium's `is_healthy`; NaN fails every comparison, so it is unhealthy. */
  abstract get isHealthy(): boolean;

  protected resetModel(rng: Random): void {
    const qpos = MujocoEnv.uniformNoise(rng, this.initQpos, RESET_NOISE_SCALE);
    const qvel = MujocoEnv.uniformNoise(rng, this.initQvel, RESET_NOISE_SCALE);
    this.setQposQvel(qpos, qvel);
  }

  protected simulate(action: Float32Array): { reward: number; terminated: boolean } {
    const xBefore = this.qpos[0];
    this.doSimulation(action);
    const xVelocity = (this.qpos[0] - xBefore) / this.dt;
    const healthy = this.isHealthy;
    const forwardReward = FORWARD_REWARD_WEIGHT * xVelocity;
    const healthyReward = healthy ? HEALTHY_REWARD : 0;
    const ctrlCost = CTRL_COST_WEIGHT * MujocoEnv.sumOfSquares(action);
    return { reward: forwardReward + healthyReward - ctrlCost, terminated: !healthy };
  }

  protected observation(): Float32Array {
    const obs = new Float32Array(this.spec.observationSize);
    obs.set(this.qpos.subarray(1), 0);
    const qvel = this.qvel;
    for (let i = 0; i < this.nv; i++) {
      obs[this.nq - 1 + i] = Math.min(Math.max(qvel[i], -MAX_OBSERVED_SPEED), MAX_OBSERVED_SPEED);
    }
    return obs;
  }
}
