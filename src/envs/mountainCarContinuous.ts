/**
 * MountainCarContinuous-v0, a port of Gymnasium 1.x `classic_control/continuous_mountain_car.py` (with its
 * 999-step TimeLimit).
 *
 * Dtypes matter here. `reset()` builds a float64 state, but `step` stores the state as float32, so from the
 * second step on NumPy computes in float32: under NumPy 2's promotion rules (NEP 50) a float32 scalar combined
 * with a Python float (a constant, `math.cos(...)`) stays float32, the Python float being cast to float32 first,
 * and that holds for comparisons too (`float32(0.45) >= 0.45` is True). The step below tracks, for each
 * intermediate, whether NumPy holds it as a float32 and rounds with `Math.fround` where NumPy does. The action
 * is read as a float32, as the float32 action Box holds it.
 */

import { checkAction, checkState, copySpec } from './checks';
import { Episode } from './episode';
import type { Env, EnvSpec, EpisodeState, StepResult } from './types';

const MIN_ACTION = -1;
const MAX_ACTION = 1;
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.45;
const GOAL_VELOCITY = 0;
const POWER = 0.0015;

const f32 = Math.fround;

/** The track's height at x, as Gymnasium draws it. */
export function mountainHeight(x: number): number {
  return Math.sin(3 * x) * 0.45 + 0.55;
}

/** A NumPy scalar with a number and whether NumPy holds it as float32 (otherwise float64 or a Python float). */
interface Scalar {
  v: number;
  f32: boolean;
}

/** `x > c` for a Python-float constant c: NumPy compares a float32 in float32, after casting c. */
const gt = (x: Scalar, c: number): boolean => (x.f32 ? x.v > f32(c) : x.v > c);
const lt = (x: Scalar, c: number): boolean => (x.f32 ? x.v < f32(c) : x.v < c);
const ge = (x: Scalar, c: number): boolean => (x.f32 ? x.v >= f32(c) : x.v >= c);
const eq = (x: Scalar, c: number): boolean => (x.f32 ? x.v === f32(c) : x.v === c);

/**
 * `x + y` where x is a NumPy scalar (float32 or float64) and y a scalar of any kind. Rounding the float64 sum
 * to float32 gives the float32 sum exactly (53 ≥ 2·24 + 2 bits, so the double rounding is harmless).
 */
function add(x: Scalar, y: Scalar): Scalar {
  // float32 + float32 and float32 + Python float are float32; anything with a float64 is float64.
  return x.f32 ? { v: f32(x.v + (y.f32 ? y.v : f32(y.v))), f32: true } : { v: x.v + y.v, f32: false };
}

export const MOUNTAIN_CAR_CONTINUOUS_SPEC: Readonly<EnvSpec> = Object.freeze({
  id: 'MountainCarContinuous-v0',
  observationSize: 2,
  actionSize: 1,
  actionLow: [MIN_ACTION],
  actionHigh: [MAX_ACTION],
  maxEpisodeSteps: 999,
});

export class MountainCarContinuous implements Env {
  readonly spec: EnvSpec = copySpec(MOUNTAIN_CAR_CONTINUOUS_SPEC);

  /** The clipped force of the last step, or null since reset: for drawing. */
  lastAction: number | null = null;

  private position = 0;
  private velocity = 0;
  /** Whether Gymnasium would hold the state as float32 (after a step) rather than float64 (after reset). */
  private float32State = false;
  private readonly episode: Episode;

  /** `seed` starts the reset stream that `reset()` without a seed draws from (default 0). */
  constructor(seed = 0) {
    this.episode = new Episode(this.spec.id, this.spec.maxEpisodeSteps, seed);
  }

  get elapsedSteps(): number {
    return this.episode.elapsedSteps;
  }

  /** position ~ U(-0.6, -0.4), velocity 0, held in float64 like Gymnasium's `np.array([uniform, 0])`. */
  reset(seed?: number): Float32Array {
    this.position = this.episode.reseed(seed).uniformRange(-0.6, -0.4);
    this.velocity = 0;
    this.float32State = false;
    this.episode.begin();
    this.lastAction = null;
    return this.observe();
  }

  step(action: ArrayLike<number>): StepResult {
    this.episode.assertStarted();
    const a = f32(checkAction(this.spec, action)[0]);
    const s32 = this.float32State;
    const position0: Scalar = { v: this.position, f32: s32 };

    // `min(max(action[0], -1.0), 1.0)`: Python's min/max return the float32 action when it is inside the
    // bounds and the Python float bound when it is not.
    const clipped = a < MIN_ACTION || a > MAX_ACTION;
    const force = Math.min(Math.max(a, MIN_ACTION), MAX_ACTION);
    this.lastAction = force;

    // `force * power - 0.0025 * math.cos(3 * position)`: math.cos returns a Python float.
    const gravity = 0.0025 * Math.cos(s32 ? f32(3 * position0.v) : 3 * position0.v);
    const dv: Scalar = clipped
      ? { v: force * POWER - gravity, f32: false }
      : { v: f32(f32(force * f32(POWER)) - f32(gravity)), f32: true };

    let velocity = add({ v: this.velocity, f32: s32 }, dv);
    if (gt(velocity, MAX_SPEED)) velocity = { v: MAX_SPEED, f32: false };
    if (lt(velocity, -MAX_SPEED)) velocity = { v: -MAX_SPEED, f32: false };
    let position = add(position0, velocity);
    if (gt(position, MAX_POSITION)) position = { v: MAX_POSITION, f32: false };
    if (lt(position, MIN_POSITION)) position = { v: MIN_POSITION, f32: false };
    // The left wall is inelastic: the car stops there. The right edge only clips the position (the goal is
    // before it), so the velocity survives it.
    if (eq(position, MIN_POSITION) && velocity.v < 0) velocity = { v: 0, f32: false };

    const terminated = ge(position, GOAL_POSITION) && velocity.v >= GOAL_VELOCITY;
    // The action cost uses the unclipped action.
    const reward = (terminated ? 100 : 0) - a * a * 0.1;

    // `self.state = np.array([position, velocity], dtype=np.float32)`.
    this.position = f32(position.v);
    this.velocity = f32(velocity.v);
    this.float32State = true;

    return { observation: this.observe(), reward, terminated, truncated: this.episode.tick() };
  }

  getState(): number[] {
    this.episode.assertStarted();
    return [this.position, this.velocity];
  }

  /**
   * Restores [position, velocity]. A state whose components are all float32 values is taken as Gymnasium's
   * float32 state after a step, any other as its float64 state after a reset, so `getState` / `setState`
   * round-trips reproduce the following steps exactly.
   */
  setState(state: ArrayLike<number>): void {
    const [position, velocity] = checkState(this.spec.id, 2, state);
    this.position = position;
    this.velocity = velocity;
    this.float32State = f32(position) === position && f32(velocity) === velocity;
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
    return Float32Array.of(this.position, this.velocity);
  }

  close(): void {}
}
