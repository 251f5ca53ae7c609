/** The custom-gradient dense layer and the Mlp around it, against plain-JS forward and backward passes. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { dense } from '../../src/rl/dense';
import { Mlp, type MlpWeights } from '../../src/rl/mlp';
import { backward, flatten, forward, maxAbsDiff } from '../helpers/rlMath';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('dense', () => {
  it('value x·W + b and gradients dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ dy (non-square, batch 3)', () => {
    const x = [
      [0.5, -1, 2],
      [1.5, 0.25, -0.5],
      [-2, 1, 0.75],
    ];
    const w = [
      [0.1, -0.2],
      [0.3, 0.4],
      [-0.5, 0.6],
    ];
    const b = [0.05, -0.15];
    // Loss Σ c ⊙ y with an uneven c, so dy differs per entry.
    const c = [
      [1, -2],
      [0.5, 3],
      [-1.5, 0.25],
    ];
    const yWant = x.map((row) => b.map((bj, j) => bj + row.reduce((a, xi, i) => a + xi * w[i][j], 0)));
    const dxWant = x.map((_, k) => w.map((wi) => wi.reduce((a, wij, j) => a + c[k][j] * wij, 0)));
    const dwWant = w.map((wi, i) => wi.map((_, j) => x.reduce((a, xk, k) => a + xk[i] * c[k][j], 0)));
    const dbWant = b.map((_, j) => c.reduce((a, ck) => a + ck[j], 0));

    tf.tidy(() => {
      const [xt, wt, bt, ct] = [tf.tensor2d(x), tf.tensor2d(w), tf.tensor1d(b), tf.tensor2d(c)];
      const y = dense(xt, wt, bt);
      expect(y.shape).toEqual([3, 2]);
      expect(maxAbsDiff(y.dataSync(), yWant.flat())).toBeLessThan(1e-6);
      const [dx, dw, db] = tf.grads((xa: tf.Tensor, wa: tf.Tensor, ba: tf.Tensor) =>
        tf.sum(tf.mul(dense(xa as tf.Tensor2D, wa as tf.Tensor2D, ba as tf.Tensor1D), ct)),
      )([xt, wt, bt]);
      expect(dx.shape).toEqual([3, 3]);
      expect(dw.shape).toEqual([3, 2]);
      expect(db.shape).toEqual([2]);
      expect(maxAbsDiff(dx.dataSync(), dxWant.flat())).toBeLessThan(1e-6);
      expect(maxAbsDiff(dw.dataSync(), dwWant.flat())).toBeLessThan(1e-6);
      expect(maxAbsDiff(db.dataSync(), dbWant)).toBeLessThan(1e-6);
    });
  });

  it('agrees with tfjs’s own matMul gradient', () => {
    const rng = new Random(1);
    const rand = (n: number) => Array.from({ length: n }, () => rng.uniformRange(-1, 1));
    tf.tidy(() => {
      const x = tf.tensor2d(rand(20), [5, 4]);
      const w = tf.tensor2d(rand(12), [4, 3]);
      const b = tf.tensor1d(rand(3));
      const loss = (f: typeof dense) => (xa: tf.Tensor, wa: tf.Tensor, ba: tf.Tensor) =>
        tf.sum(tf.square(tf.tanh(f(xa as tf.Tensor2D, wa as tf.Tensor2D, ba as tf.Tensor1D))));
      const builtIn = ((xa: tf.Tensor2D, wa: tf.Tensor2D, ba: tf.Tensor1D) =>
        tf.add(tf.matMul(xa, wa), ba)) as unknown as typeof dense;
      const mine = tf.grads(loss(dense))([x, w, b]);
      const ref = tf.grads(loss(builtIn))([x, w, b]);
      mine.forEach((g, i) => {
        expect(maxAbsDiff(g.dataSync(), ref[i].dataSync())).toBeLessThan(1e-6);
      });
    });
  });
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

  it('apply = ReLU hidden layers and a linear output; gradients match plain-JS backprop', () => {
    const net = new Mlp([2, 3, 2, 1], new Random(1));
    net.setWeights(weights);
    expect(maxAbsDiff(flatten(net.getWeights()), flatten(weights))).toBeLessThan(1e-7);
    const x = tf.tensor2d(inputs);
    const out = net.apply(x);
    const want = inputs.map((s) => forward(weights, s).out[0]);
    expect(maxAbsDiff(out.dataSync(), want)).toBeLessThan(1e-6);
    // The output can be negative (no ReLU on the last layer) and some hidden unit is off.
    expect(Math.min(...want)).toBeLessThan(0);
    expect(inputs.some((s) => forward(weights, s).pre[0].some((v) => v < 0))).toBe(true);

    const { grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x))) as tf.Scalar, net.variables());
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
    const got = net.variables().flatMap((v) => Array.from(grads[v.name].dataSync()));
    expect(maxAbsDiff(got, flatten(handGrads))).toBeLessThan(1e-5);
    tf.dispose([x, out, ...Object.values(grads)]);
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
