/**
 * Adam (Kingma & Ba), with PyTorch's defaults and bias correction, so results compare with the authors' code.
 * Its own class rather than tf.train.adam: the learning rate changes live from the UI, and the moments
 * are plain variables that a checkpoint can save.
 */
import * as tf from '@tensorflow/tfjs';
import { type AdamParamStep, fastKernels } from '../compute/wasmKernels';
import { variableFrom } from './mlp';

export interface AdamState {
  m: number[][];
  v: number[][];
  steps: number[];
}

export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  /** Steps taken by each parameter: one skipped (null gradient) does not advance its bias correction. */
  private readonly steps: number[];

  constructor(
    /** The parameters it steps, in the order of the gradients it is given. */
    readonly params: tf.Variable[],
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    this.m = params.map((p) => variableFrom(tf.zerosLike(p), false));
    this.v = params.map((p) => variableFrom(tf.zerosLike(p), false));
    this.steps = params.map(() => 0);
  }

  /** One step: m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). */
  /** A null gradient leaves its parameter (and moments) as they are. */
  apply(grads: (tf.Tensor | null)[]): void {
    tf.tidy(() => {
      const fast = fastKernels();
      const steps = this.nextSteps(grads.map((g) => g !== null));
      if (fast) {
        // The same float32 operations, one pass over all parameters (src/compute/wasmKernels.ts).
        const params: AdamParamStep[] = steps.map(({ index, m, v, stepSize, sqrtCorrection2 }) => ({
          param: this.params[index],
          grad: grads[index] as tf.Tensor,
          m,
          v,
          stepSize,
          sqrtCorrection2,
        }));
        if (!params.length) return;
        fast.adam(params, this.beta1, this.beta2, this.epsilon).forEach(([param, m, v], k) => {
          const i = steps[k].index;
          this.params[i].assign(param);
          this.m[i].assign(m);
          this.v[i].assign(v);
        });
        return;
      }
      for (const { index: i, m, v, stepSize, sqrtCorrection2 } of steps) {
        const g = grads[i] as tf.Tensor;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtCorrection2), this.epsilon);
        this.params[i].assign(tf.sub(this.params[i], tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /**
   * The next step of each parameter that has a gradient (`has[i]`), advancing its step count: its moments, the
   * step size lr/(1 − β1ᵗ) and √(1 − β2ᵗ). For `apply`, and for kernels that step in place (src/rl/inPlaceOps.ts).
   */
  nextSteps(
    has: boolean[],
  ): { index: number; m: tf.Variable; v: tf.Variable; stepSize: number; sqrtCorrection2: number }[] {
    const steps = [];
    for (let i = 0; i < has.length; i++) {
      if (!has[i]) continue;
      const t = ++this.steps[i];
      steps.push({
        index: i,
        m: this.m[i],
        v: this.v[i],
        stepSize: this.learningRate / (1 - this.beta1 ** t),
        sqrtCorrection2: Math.sqrt(1 - this.beta2 ** t),
      });
    }
    return steps;
  }

  /** The moment variables m and v of every parameter. */
  moments(): tf.Variable[] {
    return [...this.m, ...this.v];
  }

  /** Moments and step counts as plain numbers (checkpoints, moving to another backend). */
  exportState(): AdamState {
    return this.stateFromValues(this.moments().map((t) => t.dataSync() as Float32Array));
  }

  /** `exportState` from the values of `moments()`, read elsewhere (src/rl/deviceReads.ts). */
  stateFromValues(values: Float32Array[]): AdamState {
    const n = this.m.length;
    return {
      m: values.slice(0, n).map((t) => Array.from(t)),
      v: values.slice(n, 2 * n).map((t) => Array.from(t)),
      steps: [...this.steps],
    };
  }

  importState(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new Error(`Adam state has ${state.m.length} moments, this optimizer ${this.m.length}`);
    }
    tf.tidy(() => {
      state.m.forEach((values, i) => {
        this.m[i].assign(tf.tensor(values, this.m[i].shape));
      });
      state.v.forEach((values, i) => {
        this.v[i].assign(tf.tensor(values, this.v[i].shape));
      });
    });
    state.steps.forEach((t, i) => {
      this.steps[i] = t;
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
