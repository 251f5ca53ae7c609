/** The Mlp's forward and hand-written backward passes, against plain-JS forward and backward passes. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { Mlp, type MlpWeights } from '../../src/rl/mlp';
import { backward, flatten, forward, maxAbsDiff } from '../helpers/rlMath';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('Mlp', () => {
  const weights: MlpWeights = [
    {
      weight: [
        [0.5, -1, 0.25],
        [1, 0.5, -0.75],
      ],
      bias: [0.1, -0.2, 0.3],
    },
    {
      weight: [
        [1, -1],
        [0.5, 0.5],
        [-0.25, 2],
      ],
      bias: [-0.5, 0.1],
    },
    { weight: [[1.5], [-0.5]], bias: [0.2] },
  ];
  const inputs = [
    [1, 2],
    [-1, 0.5],
    [0.3, -2],
    [2, -1],
  ];

  it('forward = ReLU hidden layers and a linear output; backward matches plain-JS backprop', () => {
    const net = new Mlp([2, 3, 2, 1], new Random(1));
    net.setWeights(weights);
    expect(maxAbsDiff(flatten(net.getWeights()), flatten(weights))).toBeLessThan(1e-7);
    const x = tf.tensor2d(inputs);
    const trace = net.forward(x);
    const out = trace.output;
    const want = inputs.map((s) => forward(weights, s).out[0]);
    expect(maxAbsDiff(out.dataSync(), want)).toBeLessThan(1e-6);
    // The output can be negative (no ReLU on the last layer) and some hidden unit is off.
    expect(Math.min(...want)).toBeLessThan(0);
    expect(inputs.some((s) => forward(weights, s).pre[0].some((v) => v < 0))).toBe(true);

    // ∂/∂out of Σ out² is 2·out.
    const { grads } = net.backward(trace, tf.mul(out, 2) as tf.Tensor2D);
    const handGrads = weights.map((l) => ({
      weight: l.weight.map((r) => r.map(() => 0)),
      bias: l.bias.map(() => 0),
    }));
    for (const s of inputs) {
      const f = forward(weights, s);
      const g = backward(weights, f, [2 * f.out[0]]).grads;
      g.forEach((layer, l) => {
        layer.bias.forEach((v, j) => {
          handGrads[l].bias[j] += v;
        });
        layer.weight.forEach((row, i) => {
          row.forEach((v, j) => {
            handGrads[l].weight[i][j] += v;
          });
        });
      });
    }
    const got = grads.flatMap((g) => Array.from(g.dataSync()));
    expect(maxAbsDiff(got, flatten(handGrads))).toBeLessThan(1e-5);
    tf.dispose([x, ...trace.inputs, out, ...grads]);
    net.dispose();
  });

  it('polyakFrom: τ = 1 copies, τ = 0.25 averages', () => {
    const a = new Mlp([2, 3, 2, 1], new Random(1));
    const b = new Mlp([2, 3, 2, 1], new Random(2));
    const wa = a.getWeights();
    const wb = b.getWeights();
    a.polyakFrom(b, 0.25);
    const want = flatten(wb).map((v, i) => 0.25 * v + 0.75 * flatten(wa)[i]);
    expect(maxAbsDiff(flatten(a.getWeights()), want)).toBeLessThan(1e-7);
    a.polyakFrom(b, 1);
    expect(a.getWeights()).toEqual(wb);
    a.dispose();
    b.dispose();
  });

  it('setWeights rejects a wrong shape or layer count', () => {
    const net = new Mlp([2, 3, 2, 1], new Random(1));
    expect(() => net.setWeights(weights.slice(1))).toThrow(/layers/);
    const wrong = structuredClone(weights);
    wrong[1].bias = [0, 0, 0];
    expect(() => net.setWeights(wrong)).toThrow(/layer 1/);
    net.dispose();
  });

  it('initialises like PyTorch: U(−1/√fan_in, 1/√fan_in) for weights and biases', () => {
    const net = new Mlp([16, 64, 1], new Random(3));
    const [l0, l1] = net.getWeights();
    for (const [layer, fanIn] of [
      [l0, 16],
      [l1, 64],
    ] as const) {
      const values = [...layer.weight.flat(), ...layer.bias];
      const bound = 1 / Math.sqrt(fanIn);
      expect(Math.max(...values)).toBeLessThanOrEqual(bound);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-bound);
      // Uniform on ±bound: std bound/√3.
      const m = values.reduce((a, v) => a + v, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
      if (fanIn === 16) expect(sd / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
    }
    net.dispose();
  });
});

describe('initialisation beyond the paper', () => {
  const gram = (w: number[][], rowsOrthonormal: boolean) => {
    const vectors = rowsOrthonormal ? w : w[0].map((_, c) => w.map((row) => row[c]));
    return vectors.map((a) => vectors.map((b) => a.reduce((sum, x, t) => sum + x * b[t], 0)));
  };
  const identity = (n: number, g: number) =>
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? g * g : 0)));
  const close = (a: number[][], b: number[][]) =>
    Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - b[i][j]))));

  it('orthogonal: orthonormal columns (or rows) times the gain, √2 in the hidden layers, zero biases, seeded', () => {
    const net = new Mlp([5, 12, 7, 3], Random.stream(1, 'orth'), { orthogonal: true, outputGain: 0.5 });
    const layers = net.getWeights();
    // 5 × 12: its 5 rows are orthonormal (× √2); 12 × 7 and 7 × 3: their columns.
    expect(close(gram(layers[0].weight, true), identity(5, Math.SQRT2))).toBeLessThan(1e-5);
    expect(close(gram(layers[1].weight, false), identity(7, Math.SQRT2))).toBeLessThan(1e-5);
    expect(close(gram(layers[2].weight, false), identity(3, 0.5))).toBeLessThan(1e-5);
    for (const layer of layers) expect(layer.bias.every((b) => b === 0)).toBe(true);
    const again = new Mlp([5, 12, 7, 3], Random.stream(1, 'orth'), { orthogonal: true, outputGain: 0.5 });
    expect(again.getWeights()).toEqual(layers);
    const other = new Mlp([5, 12, 7, 3], Random.stream(2, 'orth'), { orthogonal: true, outputGain: 0.5 });
    expect(other.getWeights()).not.toEqual(layers);
    for (const m of [net, again, other]) m.dispose();
  });

  it("the actor's last layer from U(±3·10⁻³) on request, the others as before", () => {
    const plain = new Mlp([3, 8, 8, 2], Random.stream(4, 'init'));
    const small = new Mlp([3, 8, 8, 2], Random.stream(4, 'init'), { outputUniform: 3e-3 });
    const [p, s] = [plain.getWeights(), small.getWeights()];
    expect(s.slice(0, 2)).toEqual(p.slice(0, 2));
    const last = [...s[2].weight.flat(), ...s[2].bias];
    expect(Math.max(...last.map(Math.abs))).toBeLessThanOrEqual(3e-3);
    expect(Math.max(...last.map(Math.abs))).toBeGreaterThan(1e-3);
    plain.dispose();
    small.dispose();
  });
});
