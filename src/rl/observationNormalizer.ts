/**
 * Observation normalisation: running mean and variance of the observations seen in training (as
 * Stable-Baselines3's RunningMeanStd, one observation at a time, Chan et al.'s parallel update), and
 * (x − mean) / √(variance + 10⁻⁸) for the networks. Only training steps update it; evaluation, the probe
 * and an exported policy use it as it stands (frozen). Without clipping, so that an exported policy can fold
 * it exactly into its first layer.
 */
export interface NormalizerState {
  mean: number[];
  variance: number[];
  count: number;
}

const EPSILON = 1e-8;

export class ObservationNormalizer {
  private mean: Float64Array;
  private variance: Float64Array;
  /** Starts just above 0 (SB3's 1e-4), so that the first observation gets almost all the weight. */
  private count = 1e-4;

  constructor(readonly size: number) {
    this.mean = new Float64Array(size);
    this.variance = new Float64Array(size).fill(1);
  }

  update(observation: ArrayLike<number>): void {
    const total = this.count + 1;
    for (let i = 0; i < this.size; i++) {
      const delta = observation[i] - this.mean[i];
      this.mean[i] += delta / total;
      this.variance[i] = (this.variance[i] * this.count + (delta * delta * this.count) / total) / total;
    }
    this.count = total;
  }

  /** Observations (one, or rows of them), normalised from their own numbers into a new array. */
  normalize(observations: ArrayLike<number>): Float32Array {
    const out = new Float32Array(observations.length);
    for (let k = 0; k < out.length; k++) {
      const i = k % this.size;
      out[k] = (observations[k] - this.mean[i]) / this.scale(i);
    }
    return out;
  }

  /** Rows of observations (row-major), normalised in place. */
  normalizeRows(rows: Float32Array): Float32Array {
    for (let k = 0; k < rows.length; k++) {
      const i = k % this.size;
      rows[k] = (rows[k] - this.mean[i]) / this.scale(i);
    }
    return rows;
  }

  /** The i-th input's standard deviation as the normalisation divides by it. */
  scale(i: number): number {
    return Math.sqrt(this.variance[i] + EPSILON);
  }

  center(i: number): number {
    return this.mean[i];
  }

  exportState(): NormalizerState {
    return { mean: Array.from(this.mean), variance: Array.from(this.variance), count: this.count };
  }

  importState(state: NormalizerState): void {
    if (state.mean.length !== this.size || state.variance.length !== this.size)
      throw new Error(`the observation statistics have ${state.mean.length} values, the env ${this.size}`);
    if (!(state.count > 0) || state.variance.some((v) => !(v >= 0)))
      throw new Error('the observation statistics are not a count and variances of at least 0');
    this.mean = Float64Array.from(state.mean);
    this.variance = Float64Array.from(state.variance);
    this.count = state.count;
  }
}
