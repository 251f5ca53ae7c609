/**
 * Adam (Kingma & Ba), with PyTorch's defaults and bias correction, so results compare with the authors' code.
 * Its own class rather than tf.train.adam: the learning rate changes live from the UI, and the moments
 * are plain variables that a checkpoint can save.
 */
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from './mlp';
import { type AdamParamStep, fastKernels } from './wasmKernels';

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
    private readonly params: tf.Variable[],
    public learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
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
      const steps: AdamParamStep[] = [];
      const indices: number[] = [];
      grads.forEach((g, i) => {
        if (!g) return;
        const t = ++this.steps[i];
        const stepSize = this.learningRate / (1 - this.beta1 ** t);
        const sqrtCorrection2 = Math.sqrt(1 - this.beta2 ** t);
        const m = this.m[i];
        const v = this.v[i];
        if (fast) {
          // The same float32 operations, one pass over all parameters (src/rl/wasmKernels.ts).
          steps.push({ param: this.params[i], grad: g, m, v, stepSize, sqrtCorrection2 });
          indices.push(i);
          return;
        }
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtCorrection2), this.epsilon);
        this.params[i].assign(tf.sub(this.params[i], tf.mul(tf.div(m, denom), stepSize)));
      });
      if (fast && steps.length) {
        fast.adam(steps, this.beta1, this.beta2, this.epsilon).forEach(([param, m, v], k) => {
          const i = indices[k];
          this.params[i].assign(param);
          this.m[i].assign(m);
          this.v[i].assign(v);
        });
      }
    });
  }

  /** Moments and step counts as plain numbers (checkpoints, moving to another backend). */
  exportState(): AdamState {
    return {
      m: this.m.map((t) => Array.from(t.dataSync())),
      v: this.v.map((t) => Array.from(t.dataSync())),
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
