/** A multi-layer perceptron held as plain weight variables, initialised like PyTorch's nn.Linear. */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../common/random';
import { fastKernels } from '../compute/wasmKernels';
import { columnSum, linearEach, matMulNTEach, matMulTNEach } from './linalg';
import {
  type NormCache,
  type NormKind,
  type NormParams,
  normBackward,
  normForward,
  updateRunningAverages,
} from './normLayers';

export interface Layer {
  weight: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
  /** A hidden layer's LayerNorm or BatchNorm, between its product and its ReLU (src/rl/normLayers.ts). */
  norm?: NormParams;
}

/** What `Mlp.forward` keeps for `Mlp.backward`: each layer's input (x, then the hidden ReLU outputs). */
export interface Trace {
  inputs: tf.Tensor2D[];
  output: tf.Tensor2D;
  /** Per layer, what a normalised layer kept (absent when the network has no normalisation). */
  norms?: (NormCache | null)[];
}

/** A normalised layer's numbers: γ, β, and BatchNorm's running mean and variance. */
export interface NormWeights {
  scale: number[];
  shift: number[];
  runningMean?: number[];
  runningVariance?: number[];
}

/** Plain numbers of one network, for tests, export and copying between backends. */
export type MlpWeights = { weight: number[][]; bias: number[]; norm?: NormWeights }[];

/** Which statistics a normalised network uses: its batch's own (in the update) or BatchNorm's running ones. */
export type NormStatistics = 'batch' | 'running';

export class Mlp {
  readonly layers: Layer[];

  /**
   * sizes = [input, hidden..., output]. Weights and biases ~ U(−1/√fan_in, 1/√fan_in), as PyTorch does; or,
   * with `init.orthogonal`, orthogonal weights (gain √2 before a ReLU, `outputGain` at the output) and zero
   * biases; `init.outputUniform` then draws the last layer from U(±that) instead.
   */
  constructor(
    readonly sizes: number[],
    rng: Random,
    init: { orthogonal?: boolean; outputGain?: number; outputUniform?: number; norm?: NormKind } = {},
  ) {
    this.layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const fanIn = sizes[i];
      const fanOut = sizes[i + 1];
      const last = i + 2 === sizes.length;
      let w: Float32Array;
      let b: Float32Array;
      if (init.orthogonal) {
        w = orthogonal(fanIn, fanOut, last ? (init.outputGain ?? 1) : Math.SQRT2, rng);
        b = new Float32Array(fanOut);
      } else {
        const bound = 1 / Math.sqrt(fanIn);
        w = new Float32Array(fanIn * fanOut);
        for (let j = 0; j < w.length; j++) w[j] = rng.uniformRange(-bound, bound);
        b = new Float32Array(fanOut);
        for (let j = 0; j < b.length; j++) b[j] = rng.uniformRange(-bound, bound);
      }
      if (last && init.outputUniform !== undefined) {
        const bound = init.outputUniform;
        for (let j = 0; j < w.length; j++) w[j] = rng.uniformRange(-bound, bound);
        for (let j = 0; j < b.length; j++) b[j] = rng.uniformRange(-bound, bound);
      }
      const layer: Layer = {
        weight: variableFrom(tf.tensor2d(w, [fanIn, fanOut])),
        bias: variableFrom(tf.tensor1d(b)),
      };
      // γ = 1 and β = 0, as torch.nn.LayerNorm and BatchNorm1d start; running mean 0 and variance 1.
      if (init.norm && !last) {
        layer.norm = {
          kind: init.norm,
          scale: variableFrom(tf.ones([fanOut]) as tf.Tensor1D),
          shift: variableFrom(tf.zeros([fanOut]) as tf.Tensor1D),
        };
        if (init.norm === 'batch') {
          layer.norm.runningMean = variableFrom(tf.zeros([fanOut]) as tf.Tensor1D, false);
          layer.norm.runningVariance = variableFrom(tf.ones([fanOut]) as tf.Tensor1D, false);
        }
      }
      this.layers.push(layer);
    }
  }

  /** LayerNorm, BatchNorm or none, in the hidden layers. */
  get norm(): NormKind | null {
    return this.layers[0].norm?.kind ?? null;
  }

  /**
   * ReLU between layers, a linear output (the caller applies tanh for a policy). Each layer is one fused
   * product + bias (+ ReLU), on wasm a kernel of src/compute/wasmKernels.ts. The layer inputs are kept for
   * `backward`: the TD3 update differentiates by hand with these two. Under a gradient tape (tf.grads) it
   * uses tfjs's differentiable fused op.
   */
  forward(x: tf.Tensor2D): Trace {
    return Mlp.forwardEach([this], [x])[0];
  }

  /**
   * Backpropagation of `dOutput` (∂loss/∂output) through a `forward` trace, by the textbook rules
   * dW = xᵀ·dz, db = Σ dz, dx = dz·Wᵀ, and through ReLU dz = dh ⊙ (h > 0).
   * `grads`: the parameter gradients, in the order of `variables()`; `dInput`: ∂loss/∂x.
   */
  backward(
    trace: Trace,
    dOutput: tf.Tensor2D,
    want: { weights?: boolean; input?: boolean } = {},
  ): { grads: tf.Tensor[]; dInput: tf.Tensor2D | null } {
    return Mlp.backwardEach([this], [trace], [dOutput], want)[0];
  }

  /**
   * `forward` of several networks of the same sizes (nets[t] on xs[t]), layer by layer: each layer's products
   * in one call (on wasm one kernel whose work the threads share).
   */
  static forwardEach(nets: Mlp[], xs: tf.Tensor2D[], statistics: NormStatistics = 'batch'): Trace[] {
    const inputs: tf.Tensor2D[][] = nets.map(() => []);
    const normed = nets[0].norm !== null;
    const norms: (NormCache | null)[][] = nets.map(() => []);
    let hs = xs;
    const layers = nets[0].layers.length;
    for (let l = 0; l < layers; l++) {
      hs.forEach((h, t) => {
        inputs[t].push(h);
      });
      const hidden = l < layers - 1;
      hs = linearEach(
        hs,
        nets.map((net) => net.layers[l].weight),
        nets.map((net) => net.layers[l].bias),
        hidden && !normed,
      );
      if (normed && hidden) {
        // Product, then the normalisation, then the ReLU.
        hs = hs.map((z, t) => {
          const { output, cache } = normForward(nets[t].layers[l].norm as NormParams, z, statistics);
          norms[t].push(cache);
          return tf.relu(output);
        });
      }
    }
    return nets.map((_, t) => ({ inputs: inputs[t], output: hs[t], norms: normed ? norms[t] : undefined }));
  }

  /** BatchNorm's running averages moved towards a training trace's batch statistics (nothing otherwise). */
  updateRunningAverages(trace: Trace): void {
    const rows = trace.inputs[0].shape[0];
    this.layers.forEach((layer, l) => {
      const cache = trace.norms?.[l];
      if (layer.norm && cache) updateRunningAverages(layer.norm, cache, rows);
    });
  }

  /** `backward` of several networks of the same sizes, layer by layer, each layer's products in one call. */
  static backwardEach(
    nets: Mlp[],
    traces: Trace[],
    dOutputs: tf.Tensor2D[],
    want: { weights?: boolean; input?: boolean } = {},
  ): { grads: tf.Tensor[]; dInput: tf.Tensor2D | null }[] {
    const { weights = true, input = false } = want;
    const grads: tf.Tensor[][] = nets.map(() => []);
    const normGrads: tf.Tensor[][][] = nets.map(() => []);
    let dzs = dOutputs;
    let dInputs: tf.Tensor2D[] | null = null;
    for (let l = nets[0].layers.length - 1; l >= 0; l--) {
      const xs = traces.map((trace) => trace.inputs[l]);
      if (weights) {
        matMulTNEach(xs, dzs).forEach((dW, t) => {
          grads[t][2 * l] = dW;
        });
        dzs.forEach((dz, t) => {
          grads[t][2 * l + 1] = columnSum(dz);
        });
      }
      const ws = nets.map((net) => net.layers[l].weight);
      // The input of layer l > 0 is a ReLU output: its gradient passes only where it is positive.
      if (l > 0) dzs = matMulNTEach(dzs, ws, xs);
      else if (input) dInputs = matMulNTEach(dzs, ws);
      // Layer l − 1's normalisation, between its product and that ReLU.
      if (l > 0 && nets[0].layers[l - 1].norm) {
        dzs = dzs.map((dy, t) => {
          const norm = nets[t].layers[l - 1].norm as NormParams;
          const cache = traces[t].norms?.[l - 1];
          if (!cache) throw new Error('backward: the trace was made with running statistics');
          const { dz, dScale, dShift } = normBackward(norm, cache, dy);
          if (weights) normGrads[t][l - 1] = [dScale, dShift];
          return dz;
        });
      }
    }
    // In the order of variables(): each layer's weight and bias, then its γ and β.
    return nets.map((net, t) => ({
      grads: net.norm
        ? net.layers.flatMap((_, l) => [grads[t][2 * l], grads[t][2 * l + 1], ...(normGrads[t][l] ?? [])])
        : grads[t],
      dInput: dInputs?.[t] ?? null,
    }));
  }

  /**
   * Every layer's weight and bias (and a normalised layer's γ and β), in order: the same array each call (the
   * variables never change; not to be modified).
   */
  variables(): tf.Variable[] {
    this.vars ??= this.layers.flatMap((l) => [
      l.weight,
      l.bias,
      ...(l.norm ? [l.norm.scale, l.norm.shift] : []),
    ]);
    return this.vars;
  }
  private vars: tf.Variable[] | null = null;

  /** BatchNorm's running averages (not learned by gradients; empty for other networks). */
  statistics(): tf.Variable[] {
    this.stats ??= this.layers.flatMap((l) =>
      l.norm?.runningMean && l.norm.runningVariance ? [l.norm.runningMean, l.norm.runningVariance] : [],
    );
    return this.stats;
  }
  private stats: tf.Variable[] | null = null;

  /** θ′ ← τθ + (1 − τ)θ′: Polyak averaging towards `source`. τ = 1 copies. */
  polyakFrom(source: Mlp, tau: number): void {
    tf.tidy(() => {
      const mine = this.variables();
      const fast = tau === 1 ? null : fastKernels();
      if (fast) {
        // The same float32 operations, one pass over all parameters (src/compute/wasmKernels.ts).
        fast.polyak(source.variables(), mine, tau).forEach((value, i) => {
          mine[i].assign(value);
        });
      } else {
        polyakAssign(source.variables(), mine, tau);
      }
      // A target's BatchNorm running averages follow the source's as its parameters do.
      polyakAssign(source.statistics(), this.statistics(), tau);
    });
  }

  getWeights(): MlpWeights {
    return this.weightsFromValues(this.weightTensors().map((t) => t.dataSync() as Float32Array));
  }

  /** The tensors `getWeights` reads, in its order: each layer's weight and bias, then γ, β, running averages. */
  weightTensors(): tf.Tensor[] {
    return this.layers.flatMap((l) => {
      const norm = l.norm;
      if (!norm) return [l.weight, l.bias];
      const running =
        norm.runningMean && norm.runningVariance ? [norm.runningMean, norm.runningVariance] : [];
      return [l.weight, l.bias, norm.scale, norm.shift, ...running];
    });
  }

  /** `getWeights` from the values of `weightTensors()`, read elsewhere (src/rl/deviceReads.ts). */
  weightsFromValues(values: Float32Array[]): MlpWeights {
    let k = 0;
    const list = () => Array.from(values[k++]);
    return this.layers.map((l) => {
      const [rows, cols] = l.weight.shape;
      const plain = { weight: matrixRows(values[k++], rows, cols), bias: list() };
      if (!l.norm) return plain;
      const norm: NormWeights = { scale: list(), shift: list() };
      if (l.norm.runningMean && l.norm.runningVariance) {
        norm.runningMean = list();
        norm.runningVariance = list();
      }
      return { ...plain, norm };
    });
  }

  setWeights(weights: MlpWeights): void {
    if (weights.length !== this.layers.length) throw new Error('setWeights: wrong number of layers');
    weights.forEach((w, i) => {
      const layer = this.layers[i];
      const shape = layer.weight.shape;
      if (w.weight.length !== shape[0] || w.weight[0]?.length !== shape[1] || w.bias.length !== shape[1]) {
        throw new Error(`setWeights: layer ${i} expects ${shape[0]}×${shape[1]}`);
      }
      const norm = layer.norm;
      const given = w.norm;
      if (Boolean(norm) !== Boolean(given))
        throw new Error(
          `setWeights: layer ${i} ${norm ? `expects its ${norm.kind} normalisation` : 'has no normalisation'}`,
        );
      if (norm && given) {
        const width = shape[1];
        const running = norm.kind === 'batch';
        const lists = [
          given.scale,
          given.shift,
          ...(running ? [given.runningMean, given.runningVariance] : []),
        ];
        if (lists.some((list) => list?.length !== width))
          throw new Error(`setWeights: layer ${i}'s normalisation expects ${width} values per list`);
      }
      tf.tidy(() => {
        layer.weight.assign(tf.tensor2d(w.weight));
        layer.bias.assign(tf.tensor1d(w.bias));
        if (norm && given) {
          norm.scale.assign(tf.tensor1d(given.scale));
          norm.shift.assign(tf.tensor1d(given.shift));
          if (norm.runningMean && given.runningMean) norm.runningMean.assign(tf.tensor1d(given.runningMean));
          if (norm.runningVariance && given.runningVariance)
            norm.runningVariance.assign(tf.tensor1d(given.runningVariance));
        }
      });
    });
  }

  dispose(): void {
    for (const v of [...this.variables(), ...this.statistics()]) v.dispose();
  }
}

/** A row-major rows × cols matrix as MlpWeights holds it: weight[input][output]. */
export function matrixRows(flat: Float32Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(flat.subarray(r * cols, (r + 1) * cols)));
}

/** to ← τ·from + (1 − τ)·to, variable by variable (τ = 1 copies). */
function polyakAssign(from: tf.Variable[], to: tf.Variable[], tau: number): void {
  from.forEach((v, i) => {
    to[i].assign(tau === 1 ? v : tf.add(tf.mul(v, tau), tf.mul(to[i], 1 - tau)));
  });
}

/** A trainable variable holding `initial`'s values; `initial` itself is released (the variable keeps the data). */
export function variableFrom<R extends tf.Rank>(initial: tf.Tensor<R>, trainable = true): tf.Variable<R> {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}

/**
 * A fanIn × fanOut matrix with orthonormal columns (fanIn ≥ fanOut) or rows (fanIn < fanOut), times `gain`:
 * Gram–Schmidt, twice for float accuracy, on a seeded Gaussian matrix (as torch.nn.init.orthogonal_ does
 * with QR; each vector's sign is that of R's diagonal, positive here).
 */
export function orthogonal(fanIn: number, fanOut: number, gain: number, rng: Random): Float32Array {
  const long = Math.max(fanIn, fanOut);
  const short = Math.min(fanIn, fanOut);
  // `short` vectors of length `long`, made orthonormal one after another.
  const q = Array.from({ length: short }, () => Float64Array.from({ length: long }, () => rng.normal()));
  for (let k = 0; k < short; k++) {
    const v = q[k];
    for (let pass = 0; pass < 2; pass++)
      for (let j = 0; j < k; j++) {
        let dot = 0;
        for (let t = 0; t < long; t++) dot += v[t] * q[j][t];
        for (let t = 0; t < long; t++) v[t] -= dot * q[j][t];
      }
    let norm = 0;
    for (let t = 0; t < long; t++) norm += v[t] * v[t];
    norm = Math.sqrt(norm);
    for (let t = 0; t < long; t++) v[t] /= norm;
  }
  // Row-major fanIn × fanOut: the vectors are its columns when fanIn is the longer side, else its rows.
  const w = new Float32Array(fanIn * fanOut);
  for (let r = 0; r < fanIn; r++)
    for (let c = 0; c < fanOut; c++) w[r * fanOut + c] = gain * (fanIn >= fanOut ? q[c][r] : q[r][c]);
  return w;
}
