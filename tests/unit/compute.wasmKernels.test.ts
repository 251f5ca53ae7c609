/**
 * The hand-written WASM kernels of the wasm backend (src/compute/wasmKernels.ts) against tfjs's own ops: products in
 * every form and remainder shape (rows not a multiple of the register block, columns not a multiple of 4),
 * with and without relaxed SIMD's fused multiply-add; Adam and Polyak bit for bit.
 */
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { fastKernels, hasRelaxedSimd, resetRelaxedSimdProbe } from '../../src/compute/wasmKernels';
import { Mlp } from '../../src/rl/mlp';
import { maxAbsDiff } from '../helpers/rlMath';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(() => {
  tf.env().set('TD3_WASM_KERNELS', true);
});

const rng = new Random(5);
const rand = (shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniformRange(-1, 1)),
    shape,
  );

/** (m, n, k): register-block remainders in m, column remainders in n (n mod 16 and n mod 4), short k. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 2, 5],
  [4, 8, 16],
  [5, 3, 7],
  [8, 17, 3],
  [13, 20, 9],
  [6, 12, 33],
  [9, 1, 24],
  [2, 6, 4],
  // Whole 16-column panels of B, packed before the row tiles read them, with vector and scalar columns after.
  [5, 16, 20],
  [7, 35, 11],
  [10, 44, 6],
  // Aᵀ·B with many columns of A goes through a transpose (m ≥ 64), a 4×4-blocked one or a scalar one.
  [64, 8, 16],
  [70, 12, 9],
];

function checkProducts(): void {
  const fast = fastKernels();
  expect(fast).not.toBeNull();
  if (!fast) return;
  for (const [m, n, k] of SHAPES) {
    tf.tidy(() => {
      const x = rand([m, k]) as tf.Tensor2D;
      const w = rand([k, n]) as tf.Tensor2D;
      const b = rand([n]) as tf.Tensor1D;
      const label = `m ${m}, n ${n}, k ${k}`;
      const affine = tf.add(tf.matMul(x, w), b);
      expect(maxAbsDiff(fast.linear(x, w, b, false).dataSync(), affine.dataSync()), label).toBeLessThan(1e-5);
      expect(
        maxAbsDiff(fast.linear(x, w, b, true).dataSync(), tf.relu(affine).dataSync()),
        label,
      ).toBeLessThan(1e-5);
      // aᵀ·b with a stored k×m.
      const a = rand([k, m]) as tf.Tensor2D;
      const y = rand([k, n]) as tf.Tensor2D;
      const tn = fast.matMulTN(a, y);
      expect(tn.shape).toEqual([m, n]);
      expect(maxAbsDiff(tn.dataSync(), tf.matMul(a, y, true, false).dataSync()), label).toBeLessThan(1e-5);
      // a·bᵀ, plain and through a ReLU mask (about half the mask entries ≤ 0, some exactly 0).
      const d = rand([m, k]) as tf.Tensor2D;
      const v = rand([n, k]) as tf.Tensor2D;
      const mask = tf.relu(rand([m, n])) as tf.Tensor2D;
      const nt = tf.matMul(d, v, false, true);
      expect(maxAbsDiff(fast.matMulNT(d, v).dataSync(), nt.dataSync()), label).toBeLessThan(1e-5);
      const masked = fast.matMulNT(d, v, mask);
      expect(maxAbsDiff(masked.dataSync(), tf.mul(nt, tf.step(mask)).dataSync()), label).toBeLessThan(1e-5);
      expect(maxAbsDiff(fast.columnSum(y).dataSync(), tf.sum(y, 0).dataSync()), label).toBeLessThan(1e-5);
      // [x | mask] row by row: a copy, so exactly tfjs's concat.
      const joined = fast.concatColumns(x, mask);
      expect(joined.shape).toEqual([m, k + n]);
      expect(Array.from(joined.dataSync()), label).toEqual(Array.from(tf.concat([x, mask], 1).dataSync()));
    });
  }
}

describe('wasm kernels', () => {
  it('products in every form and shape agree with tfjs (multiply, then add)', () => {
    expect(tf.getBackend()).toBe('wasm');
    checkProducts();
  });

  it('products agree with tfjs with relaxed SIMD’s fused multiply-add too', () => {
    if (!hasRelaxedSimd()) {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
      resetRelaxedSimdProbe();
    }
    expect(hasRelaxedSimd()).toBe(true);
    checkProducts();
  });

  it('Adam and Polyak give exactly the float32 results of the tfjs ops they replace', () => {
    const fast = fastKernels();
    if (!fast) throw new Error('no fast kernels');
    tf.tidy(() => {
      const shapes = [[7], [5, 3], [1], [4, 4]];
      const params = shapes.map((shape) => ({
        param: rand(shape),
        grad: rand(shape),
        m: rand(shape),
        v: tf.abs(rand(shape)),
        stepSize: 1e-3 / (1 - 0.9 ** 3),
        sqrtCorrection2: Math.sqrt(1 - 0.999 ** 3),
      }));
      const got = fast.adam(params, 0.9, 0.999, 1e-8);
      params.forEach((p, i) => {
        const m = tf.add(tf.mul(p.m, 0.9), tf.mul(p.grad, 1 - 0.9));
        const v = tf.add(tf.mul(p.v, 0.999), tf.mul(tf.square(p.grad), 1 - 0.999));
        const denom = tf.add(tf.div(tf.sqrt(v), p.sqrtCorrection2), 1e-8);
        const param = tf.sub(p.param, tf.mul(tf.div(m, denom), p.stepSize));
        expect(Array.from(got[i][0].dataSync())).toEqual(Array.from(param.dataSync()));
        expect(Array.from(got[i][1].dataSync())).toEqual(Array.from(m.dataSync()));
        expect(Array.from(got[i][2].dataSync())).toEqual(Array.from(v.dataSync()));
      });
      const sources = shapes.map(rand);
      const targets = shapes.map(rand);
      fast.polyak(sources, targets, 0.005).forEach((out, i) => {
        const want = tf.add(tf.mul(sources[i], 0.005), tf.mul(targets[i], 1 - 0.005));
        expect(Array.from(out.dataSync())).toEqual(Array.from(want.dataSync()));
      });
    });
  });

  it('Mlp.forward stays differentiable: under tf.grads its gradients equal the hand-written backward pass', () => {
    const net = new Mlp([3, 8, 5, 2], new Random(9));
    tf.tidy(() => {
      const x = rand([6, 3]) as tf.Tensor2D;
      const viaTape = tf.variableGrads(
        () => tf.sum(tf.square(net.forward(x).output)) as tf.Scalar,
        net.variables(),
      );
      const trace = net.forward(x);
      const byHand = net.backward(trace, tf.mul(trace.output, 2) as tf.Tensor2D).grads;
      net.variables().forEach((v, i) => {
        expect(maxAbsDiff(viaTape.grads[v.name].dataSync(), byHand[i].dataSync())).toBeLessThan(1e-5);
      });
    });
    net.dispose();
  });

  it('networks run together (Mlp.forwardEach/backwardEach, one call per layer) give exactly their runs alone', () => {
    // The critics' sizes with odd widths: 16-column panels, 4-wide and single last columns, one output.
    const nets = [new Mlp([5, 37, 21, 1], new Random(1)), new Mlp([5, 37, 21, 1], new Random(2))];
    tf.tidy(() => {
      const xs = [rand([19, 5]), rand([19, 5])] as tf.Tensor2D[];
      const together = Mlp.forwardEach(nets, xs);
      const alone = nets.map((net, t) => net.forward(xs[t]));
      const dOut = [rand([19, 1]), rand([19, 1])] as tf.Tensor2D[];
      const backTogether = Mlp.backwardEach(nets, together, dOut, { input: true });
      const backAlone = nets.map((net, t) => net.backward(alone[t], dOut[t], { input: true }));
      const values = (tensors: (tf.Tensor | null)[]) => tensors.map((x) => Array.from(x?.dataSync() ?? []));
      for (let t = 0; t < 2; t++) {
        expect(values([together[t].output, ...together[t].inputs])).toEqual(
          values([alone[t].output, ...alone[t].inputs]),
        );
        expect(values([...backTogether[t].grads, backTogether[t].dInput])).toEqual(
          values([...backAlone[t].grads, backAlone[t].dInput]),
        );
      }
      // Two different networks: different outputs (the products did not mix their operands up).
      expect(values([together[0].output])).not.toEqual(values([together[1].output]));
      expect(backTogether[0].dInput?.shape).toEqual([19, 5]);
    });
    // Products of different shapes cannot share a call.
    const fast = fastKernels();
    expect(() =>
      tf.tidy(() =>
        fast?.linearEach(
          [rand([4, 3]), rand([5, 3])] as tf.Tensor2D[],
          [rand([3, 2]), rand([3, 2])] as tf.Tensor2D[],
          [rand([2]), rand([2])] as tf.Tensor1D[],
          false,
        ),
      ),
    ).toThrow(/one shape only/);
    for (const net of nets) net.dispose();
  });

  it('track their outputs like any tfjs kernel (tidy releases them) and can be switched off', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const fast = fastKernels();
      fast?.linear(rand([4, 4]) as tf.Tensor2D, rand([4, 8]) as tf.Tensor2D, rand([8]) as tf.Tensor1D, true);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.env().set('TD3_WASM_KERNELS', false);
    expect(fastKernels()).toBeNull();
    tf.env().set('TD3_WASM_KERNELS', true);
    expect(fastKernels()).not.toBeNull();
  });
});
