/**
 * Pendulum-v1, a port of Gymnasium 1.x `classic_control/pendulum.py` (with its 200-step TimeLimit).
 *
 * The state [θ, θdot] is kept in float64 as Gymnasium does (θ = 0 is upright and is never wrapped); the
 * observation [cos θ, sin θ, θdot] is rounded to float32. The action is read as a float32, as the float32
 * action Box holds it, and the few products NumPy takes in float32 with it are rounded with `Math.fround`.
 */

import { checkAction, checkState, copySpec } from './checks';
import { Episode } from './episode';
import type { Env, EnvSpec, EpisodeState, StepResult } from './types';

const MAX_SPEED = 8;
const MAX_TORQUE = 2;
const DT = 0.05;
const G = 10;
const M = 1;
const L = 1;
/** 3g/(2l), evaluated left to right as Python does: 30 / 2. */
const GRAVITY_GAIN = (3 * G) / (2 * L);
/** 3/(ml²): a Python float, so `3.0 * u` stays float32 under NumPy 2's promotion rules. */
const TORQUE_GAIN = 3 / (M * L ** 2);
/** 0.001 meets the float32 `u**2`, so NumPy casts it to float32 first. */
const TORQUE_COST_F32 = Math.fround(0.001);

/** NumPy's float64 `%` (sign of the divisor), built on C's fmod exactly as NumPy builds it. */
function pyMod(a: number, b: number): number {
  let mod = a % b;
  if (mod !== 0) {
    if (b < 0 !== mod < 0) mod += b;
  } else {
    mod = b < 0 ? -0 : 0;
  }
  return mod;
}

/**
 * Maps θ into [-π, π) for the cost only: the state's θ winds up freely as the pendulum spins, but a
 * pendulum 2π from upright is upright.
 */
export function angleNormalize(x: number): number {
  return pyMod(x + Math.PI, 2 * Math.PI) - Math.PI;
}

export const PENDULUM_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'Pendulum-v1',
  observationSize: 3,
  actionSize: 1,
  actionLow: [-MAX_TORQUE],
  actionHigh: [MAX_TORQUE],
  maxEpisodeSteps: 200,
});

export class Pendulum implements Env {
  readonly spec: EnvSpec = copySpec(PENDULUM_SPEC);

  /** The clipped torque of the last step (float32, as Gymnasium's `last_u`), or null since reset: for drawing. */
  lastAction: number | null = null;

  private theta = 0;
  private thetaDot = 0;
  private readonly episode: Episode;

  /** `seed` starts the reset stream that `reset()` without a seed draws from (default 0). */
  constructor(seed = 0) {
    this.episode = new Episode(this.spec.id, this.spec.maxEpisodeSteps, seed);
  }

  get elapsedSteps(): number {
    return this.episode.elapsedSteps;
  }

  /** θ ~ U(-π, π), θdot ~ U(-1, 1), drawn in that order like Gymnasium's `np_random.uniform(low, high)`. */
  reset(seed?: number): Float32Array {
    const rng = this.episode.reseed(seed);
    this.theta = rng.uniformRange(-Math.PI, Math.PI);
    this.thetaDot = rng.uniformRange(-1, 1);
    this.episode.begin();
    this.lastAction = null;
    return this.observe();
  }

  step(action: ArrayLike<number>): StepResult {
    this.episode.assertStarted();
    const [raw] = checkAction(this.spec, action);
    const th = this.theta;
    const thdot = this.thetaDot;

    // np.clip keeps the float32 dtype of the action (the bounds ±2 are exact in float32).
    const u = Math.min(Math.max(Math.fround(raw), -MAX_TORQUE), MAX_TORQUE);
    this.lastAction = u;
    // The cost uses the state before the step; `u**2` and its 0.001 weight are float32 products.
    const costs =
      angleNormalize(th) ** 2 + 0.1 * thdot ** 2 + Math.fround(TORQUE_COST_F32 * Math.fround(u * u));

    // Semi-implicit Euler: the new velocity moves the angle. `3.0 * u` is a float32 product.
    let newThdot = thdot + (GRAVITY_GAIN * Math.sin(th) + Math.fround(TORQUE_GAIN * u)) * DT;
    // Gymnasium clips θdot to ±8 (the observation bound) before it moves θ.
    newThdot = Math.min(Math.max(newThdot, -MAX_SPEED), MAX_SPEED);
    this.theta = th + newThdot * DT;
    this.thetaDot = newThdot;

    return {
      observation: this.observe(),
      reward: -costs,
      terminated: false,
      truncated: this.episode.tick(),
    };
  }

  getState(): number[] {
    this.episode.assertStarted();
    return [this.theta, this.thetaDot];
  }

  setState(state: ArrayLike<number>): void {
    const [theta, thetaDot] = checkState(this.spec.id, 2, state);
    this.theta = theta;
    this.thetaDot = thetaDot;
    this.episode.resume();
  }

  getEpisodeState(): EpisodeState {
    return this.episode.exportState();
  }

  setEpisodeState(state: EpisodeState): void {
    this.episode.importState(state);
  }

  observe(): Float32Array {
    this.episode.assertStarted();
    return Float32Array.of(Math.cos(this.theta), Math.sin(this.theta), this.thetaDot);
  }

  close(): void {}
}
