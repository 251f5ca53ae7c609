/**
 * Exploration noise added to π(s) while collecting data, in units of half the action range (the authors'
 * code draws N(0, max_action · σ)); the noisy action is then clipped to the bounds.
 */
import type { Random } from '../common/random';

export interface ExplorationNoise {
  /** Scale in units of half the action range; may change live. */
  sigma: number;
  /** Noise for one step, already in each dimension's own units. */
  sample(): Float64Array;
  /** Called at the start of each episode. */
  reset(): void;
  /** What the noise carries from one step to the next (Ornstein–Uhlenbeck's x; nothing for Gaussian). */
  exportState(): number[];
  importState(state: readonly number[]): void;
}

/** Independent N(0, σ · half-range) per dimension and step: the paper's choice. */
export class GaussianNoise implements ExplorationNoise {
  private readonly out: Float64Array;
  constructor(
    private readonly halfRange: number[],
    public sigma: number,
    private readonly rng: Random,
  ) {
    this.out = new Float64Array(halfRange.length);
  }
  sample(): Float64Array {
    for (let i = 0; i < this.out.length; i++)
      this.out[i] = this.rng.normal() * this.sigma * this.halfRange[i];
    return this.out;
  }
  reset(): void {}
  exportState(): number[] {
    return [];
  }
  importState(): void {}
}

/**
 * Ornstein–Uhlenbeck noise, x ← x + θ(μ − x)dt + σ√dt·N(0, 1), with SB3's θ = 0.15, dt = 0.01, μ = 0:
 * temporally correlated, which helps on MountainCar (rl-baselines3-zoo's choice there).
 */
export class OrnsteinUhlenbeckNoise implements ExplorationNoise {
  private readonly x: Float64Array;
  private readonly out: Float64Array;
  constructor(
    private readonly halfRange: number[],
    public sigma: number,
    private readonly rng: Random,
    private readonly theta = 0.15,
    private readonly dt = 0.01,
  ) {
    this.x = new Float64Array(halfRange.length);
    this.out = new Float64Array(halfRange.length);
  }
  sample(): Float64Array {
    for (let i = 0; i < this.x.length; i++) {
      this.x[i] += -this.theta * this.x[i] * this.dt + this.sigma * Math.sqrt(this.dt) * this.rng.normal();
      this.out[i] = this.x[i] * this.halfRange[i];
    }
    return this.out;
  }
  reset(): void {
    this.x.fill(0);
  }
  exportState(): number[] {
    return Array.from(this.x);
  }
  importState(state: readonly number[]): void {
    if (state.length !== this.x.length)
      throw new Error(`OU noise state has ${state.length} values, expected ${this.x.length}`);
    this.x.set(state);
  }
}

export function makeExplorationNoise(
  type: 'gaussian' | 'ou',
  halfRange: number[],
  sigma: number,
  rng: Random,
): ExplorationNoise {
  return type === 'ou'
    ? new OrnsteinUhlenbeckNoise(halfRange, sigma, rng)
    : new GaussianNoise(halfRange, sigma, rng);
}

/** a = clip(π(s) + noise, low, high), written into `out`. */
export function addNoiseAndClip(
  action: ArrayLike<number>,
  noise: ArrayLike<number>,
  low: number[],
  high: number[],
  out: Float32Array,
): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(action[i] + noise[i], low[i]), high[i]);
  return out;
}
