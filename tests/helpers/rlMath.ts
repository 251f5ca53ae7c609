/**
 * Plain-JS (float64) reference maths for the TD3 tests: MLP forward and backward passes, the scaled tanh
 * policy, and PyTorch's Adam step. Written independently of src/rl so the tests can check it.
 *
 * Weights use the same layout as `MlpWeights`: weight[input][output], y = x·W + b, ReLU between layers.
 */
import type { MlpWeights } from '../../src/rl/mlp';

export interface Forward {
  /** Inputs of each layer (index 0 is the network input). */
  inputs: number[][];
  /** Pre-activations of each layer. */
  pre: number[][];
  out: number[];
}

export function forward(net: MlpWeights, x: number[]): Forward {
  const inputs: number[][] = [];
  const pre: number[][] = [];
  let h = x;
  net.forEach((layer, l) => {
    inputs.push(h);
    const z = layer.bias.map((b, j) => b + h.reduce((acc, hi, i) => acc + hi * layer.weight[i][j], 0));
    pre.push(z);
    h = l < net.length - 1 ? z.map((v) => Math.max(v, 0)) : z;
  });
  return { inputs, pre, out: h };
}

export const mlp = (net: MlpWeights, x: number[]): number[] => forward(net, x).out;

/** Gradients of a scalar loss with respect to the weights and to the input, given dLoss/dOutput. */
export function backward(
  net: MlpWeights,
  f: Forward,
  dOut: number[],
): { grads: MlpWeights; dInput: number[] } {
  const grads: MlpWeights = net.map((layer) => ({
    weight: layer.weight.map((row) => row.map(() => 0)),
    bias: layer.bias.map(() => 0),
  }));
  let dz = dOut;
  for (let l = net.length - 1; l >= 0; l--) {
    const x = f.inputs[l];
    for (let i = 0; i < x.length; i++)
      for (let j = 0; j < dz.length; j++) grads[l].weight[i][j] += x[i] * dz[j];
    for (let j = 0; j < dz.length; j++) grads[l].bias[j] += dz[j];
    const dx = x.map((_, i) => dz.reduce((acc, d, j) => acc + d * net[l].weight[i][j], 0));
    // Through the ReLU that produced x (every layer input but the network's own).
    dz = l > 0 ? dx.map((d, i) => (f.pre[l - 1][i] > 0 ? d : 0)) : dx;
  }
  return { grads, dInput: dz };
}

/** Sum of two gradient sets, in place into `a`. */
export function addInto(a: MlpWeights, b: MlpWeights): MlpWeights {
  a.forEach((layer, l) => {
    layer.bias.forEach((_, j) => {
      layer.bias[j] += b[l].bias[j];
    });
    layer.weight.forEach((row, i) => {
      row.forEach((_, j) => {
        row[j] += b[l].weight[i][j];
      });
    });
  });
  return a;
}

export function zerosLike(net: MlpWeights): MlpWeights {
  return net.map((layer) => ({
    weight: layer.weight.map((row) => row.map(() => 0)),
    bias: layer.bias.map(() => 0),
  }));
}

/** Applies `fn` to every parameter of one or more same-shaped networks. */
export function mapParams(nets: MlpWeights[], fn: (...values: number[]) => number): MlpWeights {
  return nets[0].map((layer, l) => ({
    weight: layer.weight.map((row, i) => row.map((_, j) => fn(...nets.map((n) => n[l].weight[i][j])))),
    bias: layer.bias.map((_, j) => fn(...nets.map((n) => n[l].bias[j]))),
  }));
}

export function flatten(net: MlpWeights): number[] {
  return net.flatMap((layer) => [...layer.weight.flat(), ...layer.bias]);
}

/** low + (tanh(out) + 1)/2 · (high − low), per action dimension. */
export function policy(net: MlpWeights, s: number[], low: number[], high: number[]): number[] {
  return mlp(net, s).map((o, i) => low[i] + ((Math.tanh(o) + 1) / 2) * (high[i] - low[i]));
}

export const q = (net: MlpWeights, s: number[], a: number[]): number => mlp(net, [...s, ...a])[0];

export const rows = (data: ArrayLike<number>, width: number): number[][] =>
  Array.from({ length: data.length / width }, (_, k) =>
    Array.from({ length: width }, (_, j) => data[k * width + j]),
  );

/** Gradient of mean_k (Q(s_k, a_k) − y_k)² with respect to the critic's weights. */
export function criticMseGrads(net: MlpWeights, s: number[][], a: number[][], y: number[]): MlpWeights {
  const n = s.length;
  const total = zerosLike(net);
  s.forEach((sk, k) => {
    const f = forward(net, [...sk, ...a[k]]);
    addInto(total, backward(net, f, [(2 * (f.out[0] - y[k])) / n]).grads);
  });
  return total;
}

/** Gradient of −mean_k Q(s_k, π(s_k)) with respect to the actor's weights. */
export function actorLossGrads(
  actor: MlpWeights,
  critic: MlpWeights,
  s: number[][],
  low: number[],
  high: number[],
): { grads: MlpWeights; loss: number } {
  const n = s.length;
  const total = zerosLike(actor);
  let loss = 0;
  for (const sk of s) {
    const fa = forward(actor, sk);
    const action = fa.out.map((o, i) => low[i] + ((Math.tanh(o) + 1) / 2) * (high[i] - low[i]));
    const fc = forward(critic, [...sk, ...action]);
    loss -= fc.out[0] / n;
    const dInput = backward(critic, fc, [-1 / n]).dInput;
    const dAction = dInput.slice(sk.length);
    const dOut = fa.out.map((o, i) => dAction[i] * ((high[i] - low[i]) / 2) * (1 - Math.tanh(o) ** 2));
    addInto(total, backward(actor, fa, dOut).grads);
  }
  return { grads: total, loss };
}

/** PyTorch's Adam, per parameter, with its own step count. */
export class AdamRef {
  m: number[];
  v: number[];
  t = 0;
  constructor(
    size: number,
    readonly lr: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    this.m = new Array(size).fill(0);
    this.v = new Array(size).fill(0);
  }
  step(params: number[], grads: number[]): number[] {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    return params.map((p, i) => {
      this.m[i] = this.beta1 * this.m[i] + (1 - this.beta1) * grads[i];
      this.v[i] = this.beta2 * this.v[i] + (1 - this.beta2) * grads[i] ** 2;
      return p - ((this.lr / c1) * this.m[i]) / (Math.sqrt(this.v[i]) / Math.sqrt(c2) + this.eps);
    });
  }
}

/** Rebuilds a network from a flat parameter list laid out like `flatten`. */
export function unflatten(shape: MlpWeights, values: number[]): MlpWeights {
  let k = 0;
  return shape.map((layer) => {
    const weight = layer.weight.map((row) => row.map(() => values[k++]));
    const bias = layer.bias.map(() => values[k++]);
    return { weight, bias };
  });
}

/** Largest absolute difference between two same-length number lists. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Standard normal density. */
export const phi = (z: number): number => Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);

/** Standard deviation of clip(Z, −c, c) for Z ~ N(0, 1), by Simpson's rule. */
export function clippedNormalStd(c: number): number {
  const steps = 2000;
  const h = (2 * c) / steps;
  let inner = 0;
  for (let i = 0; i <= steps; i++) {
    const z = -c + i * h;
    const w = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
    inner += w * z * z * phi(z);
  }
  inner *= h / 3;
  // Mass beyond ±c sits at ±c: P(|Z| > c) = 1 − ∫_{−c}^{c} φ.
  let mass = 0;
  for (let i = 0; i <= steps; i++) {
    const z = -c + i * h;
    const w = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
    mass += w * phi(z);
  }
  mass *= h / 3;
  return Math.sqrt(inner + (1 - mass) * c * c);
}
