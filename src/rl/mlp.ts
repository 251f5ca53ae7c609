/** A multi-layer perceptron held as plain weight variables, initialised like PyTorch's nn.Linear. */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../common/random';
import { dense } from './dense';

export interface Layer {
  weight: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

/** Plain numbers of one network, for tests, export and copying between backends. */
export type MlpWeights = { weight: number[][]; bias: number[] }[];

export class Mlp {
  readonly layers: Layer[];

  /** sizes = [input, hidden..., output]; weights and biases ~ U(−1/√fan_in, 1/√fan_in), as PyTorch does. */
  constructor(
    readonly sizes: number[],
    rng: Random,
  ) {
    this.layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const fanIn = sizes[i];
      const fanOut = sizes[i + 1];
      const bound = 1 / Math.sqrt(fanIn);
      const w = new Float32Array(fanIn * fanOut);
      for (let j = 0; j < w.length; j++) w[j] = rng.uniformRange(-bound, bound);
      const b = new Float32Array(fanOut);
      for (let j = 0; j < b.length; j++) b[j] = rng.uniformRange(-bound, bound);
      this.layers.push({
        weight: variableFrom(tf.tensor2d(w, [fanIn, fanOut])),
        bias: variableFrom(tf.tensor1d(b)),
      });
    }
  }

  /** ReLU between layers; the output is linear (the caller applies tanh for a policy). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    this.layers.forEach((layer, i) => {
      h = dense(h, layer.weight, layer.bias);
      if (i < this.layers.length - 1) h = tf.relu(h);
    });
    return h;
  }

  variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.weight, l.bias]);
  }

  /** θ′ ← τθ + (1 − τ)θ′: Polyak averaging towards `source`. τ = 1 copies. */
  polyakFrom(source: Mlp, tau: number): void {
    tf.tidy(() => {
      const mine = this.variables();
      source.variables().forEach((v, i) => {
        mine[i].assign(tau === 1 ? v : tf.add(tf.mul(v, tau), tf.mul(mine[i], 1 - tau)));
      });
    });
  }

  getWeights(): MlpWeights {
    return this.layers.map((l) => ({ weight: l.weight.arraySync(), bias: l.bias.arraySync() }));
  }

  setWeights(weights: MlpWeights): void {
    if (weights.length !== this.layers.length) throw new Error('setWeights: wrong number of layers');
    weights.forEach((w, i) => {
      const layer = this.layers[i];
      const shape = layer.weight.shape;
      if (w.weight.length !== shape[0] || w.weight[0]?.length !== shape[1] || w.bias.length !== shape[1]) {
        throw new Error(`setWeights: layer ${i} expects ${shape[0]}×${shape[1]}`);
      }
      tf.tidy(() => {
        layer.weight.assign(tf.tensor2d(w.weight));
        layer.bias.assign(tf.tensor1d(w.bias));
      });
    });
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/** A trainable variable holding `initial`'s values; `initial` itself is released (the variable keeps the data). */
export function variableFrom<R extends tf.Rank>(initial: tf.Tensor<R>, trainable = true): tf.Variable<R> {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}
