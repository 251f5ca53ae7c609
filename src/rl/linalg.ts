/**
 * The few tensor operations the TD3 update is made of, each in the form that runs fastest on the active
 * backend. On wasm, tfjs's `matMul` with transposeA/transposeB runs about ten times slower than the plain
 * product (shared/BROWSER.md), so products with a transposed operand transpose it explicitly there; other
 * backends take the transposed forms directly.
 *
 * Where src/compute/wasmKernels.ts has registered its own kernels for the wasm backend (hand-written WASM SIMD
 * matrix products, a fused Adam step and Polyak average), these functions use them.
 */
import * as tf from '@tensorflow/tfjs';
import { fastKernels } from '../compute/wasmKernels';

/**
 * Gradient-norm clipping, as torch.nn.utils.clip_grad_norm_: every gradient times min(1, max / (‖g‖ + 10⁻⁶)),
 * ‖g‖ the L2 norm of all of them together. `maxNorm` 0 = off (the gradients returned as they are).
 */
export function clipByGlobalNorm<T extends tf.Tensor>(grads: T[], maxNorm: number | undefined): T[] {
  if (!maxNorm) return grads;
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const factor = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  return grads.map((g) => tf.mul(g, factor) as T);
}

/** Whether tfjs is recording operations for a gradient (inside tf.grads and the like). */
function recordingGradients(): boolean {
  return ((tf.engine().state as unknown as { gradientDepth?: number }).gradientDepth ?? 0) > 0;
}

/** x·W + b, then ReLU if asked: one fused kernel. Differentiable (through tfjs's fused op) under a tape. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, relu: boolean): tf.Tensor2D {
  const fast = recordingGradients() ? null : fastKernels();
  if (fast) return fast.linear(x, w, b, relu);
  return tf.fused.matMul({ a: x, b: w, bias: b, activation: relu ? 'relu' : 'linear' }) as tf.Tensor2D;
}

/** aᵀ·b (the weight gradient xᵀ·dy). */
export function matMulTN(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const fast = fastKernels();
  if (fast) return fast.matMulTN(a, b);
  return tf.getBackend() === 'wasm' ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
}

/** a·bᵀ, then ⊙ (mask > 0) if a mask is given (the input gradient dy·Wᵀ through a ReLU whose output was mask). */
export function matMulNT(a: tf.Tensor2D, b: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D {
  const fast = fastKernels();
  if (fast) return fast.matMulNT(a, b, mask);
  const product: tf.Tensor2D =
    tf.getBackend() === 'wasm' ? tf.matMul(a, tf.transpose(b)) : tf.matMul(a, b, false, true);
  return mask ? (tf.mul(product, tf.step(mask)) as tf.Tensor2D) : product;
}

// The same products for several networks of one shape at once (the twin critics): on wasm one kernel call,
// whose work is shared out among the threads as one; elsewhere one product after another.

export function linearEach(
  xs: tf.Tensor2D[],
  ws: tf.Tensor2D[],
  bs: tf.Tensor1D[],
  relu: boolean,
): tf.Tensor2D[] {
  const fast = recordingGradients() ? null : fastKernels();
  if (fast && xs.length > 1) return fast.linearEach(xs, ws, bs, relu);
  return xs.map((x, t) => linear(x, ws[t], bs[t], relu));
}

export function matMulTNEach(as: tf.Tensor2D[], bs: tf.Tensor2D[]): tf.Tensor2D[] {
  const fast = fastKernels();
  if (fast && as.length > 1) return fast.matMulTNEach(as, bs);
  return as.map((a, t) => matMulTN(a, bs[t]));
}

export function matMulNTEach(as: tf.Tensor2D[], bs: tf.Tensor2D[], masks?: tf.Tensor2D[]): tf.Tensor2D[] {
  const fast = fastKernels();
  if (fast && as.length > 1) return fast.matMulNTEach(as, bs, masks);
  return as.map((a, t) => matMulNT(a, bs[t], masks?.[t]));
}

/** Σ over rows: the bias gradient Σ dy. */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  const fast = fastKernels();
  if (fast) return fast.columnSum(x);
  return tf.sum(x, 0);
}

/** [a | b]: the rows of a and b side by side (a state and an action, the critic's input). */
export function concatColumns(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const fast = recordingGradients() ? null : fastKernels();
  if (fast) return fast.concatColumns(a, b);
  return tf.concat([a, b], 1);
}
