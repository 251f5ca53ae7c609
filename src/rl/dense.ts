/**
 * A fully connected layer y = x·W + b with a hand-written gradient.
 *
 * The gradient is the textbook one, dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ dy, written with explicit transposes:
 * tfjs's built-in matMul gradient uses transposeA/transposeB, which the wasm backend runs about ten times
 * slower than a plain matMul (see shared measurements in README).
 */
import * as tf from '@tensorflow/tfjs';

export const dense = tf.customGrad((x, w, b, save) => {
  const input = x as tf.Tensor2D;
  const weight = w as tf.Tensor2D;
  (save as tf.GradSaveFunc)([input, weight]);
  return {
    value: tf.add(tf.matMul(input, weight), b as tf.Tensor1D),
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy2), tf.sum(dy2, 0)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Variable | tf.Tensor2D, b: tf.Variable | tf.Tensor1D) => tf.Tensor2D;
