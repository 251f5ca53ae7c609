/**
 * Normalisation of a hidden layer's pre-activations, for the critics (beyond the paper, issue "extensions"):
 *
 *   LayerNorm (Ba et al. 2016)       each row over its features:      x̂ = (z − μ_row) / √(σ²_row + ε)
 *   BatchNorm (Ioffe & Szegedy 2015) each feature over the batch:     x̂ = (z − μ_col) / √(σ²_col + ε)
 *   then y = γ ⊙ x̂ + β, with γ (scale) and β (shift) learned, before the ReLU.
 *
 * σ² is the biased variance, ε = 10⁻⁵, as torch.nn.LayerNorm and BatchNorm1d. BatchNorm keeps running
 * averages of μ and the unbiased σ² (momentum 0.1, as PyTorch) for use outside the update (the probe, the
 * Q-landscape), where one row has no batch to normalise over.
 *
 * The backward pass by hand, as the rest of the update (src/rl/mlp.ts): with dx̂ = dy ⊙ γ,
 *   dβ = Σ_rows dy,  dγ = Σ_rows dy ⊙ x̂,  dz = (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) / √(σ² + ε),
 * the means taken over the axis that was normalised (features for LayerNorm, rows for BatchNorm).
 */
import * as tf from '@tensorflow/tfjs';

export type NormKind = 'layer' | 'batch';
export const NORM_EPSILON = 1e-5;
export const BATCH_NORM_MOMENTUM = 0.1;

/** One normalised layer's parameters; the running averages exist for BatchNorm only. */
export interface NormParams {
  kind: NormKind;
  scale: tf.Variable<tf.Rank.R1>;
  shift: tf.Variable<tf.Rank.R1>;
  runningMean?: tf.Variable<tf.Rank.R1>;
  runningVariance?: tf.Variable<tf.Rank.R1>;
}

/** What the forward pass keeps for the backward pass and for the running averages. */
export interface NormCache {
  normalized: tf.Tensor2D;
  /** 1 / √(σ² + ε): [rows, 1] for LayerNorm, [1, features] for BatchNorm. */
  invStd: tf.Tensor2D;
  /** BatchNorm over a batch: its mean and biased variance per feature, for the running averages. */
  batchMean?: tf.Tensor2D;
  batchVariance?: tf.Tensor2D;
}

/** The axis the statistics are taken over. */
const axisOf = (kind: NormKind) => (kind === 'layer' ? 1 : 0);

/**
 * γ ⊙ x̂ + β of pre-activations `z`. `statistics`: 'batch' normalises by the batch's own statistics
 * (training); 'running' by BatchNorm's running averages (no cache: nothing to differentiate). LayerNorm
 * always uses the row's own.
 */
export function normForward(
  params: NormParams,
  z: tf.Tensor2D,
  statistics: 'batch' | 'running',
): { output: tf.Tensor2D; cache: NormCache | null } {
  if (params.kind === 'batch' && statistics === 'running') {
    const { runningMean, runningVariance } = params;
    if (!runningMean || !runningVariance) throw new Error('BatchNorm without running averages');
    const invStd = tf.rsqrt(tf.add(runningVariance, NORM_EPSILON));
    const normalized = tf.mul(tf.sub(z, runningMean), invStd) as tf.Tensor2D;
    return { output: tf.add(tf.mul(normalized, params.scale), params.shift), cache: null };
  }
  const axis = axisOf(params.kind);
  const mean = tf.mean(z, axis, true) as tf.Tensor2D;
  const centered = tf.sub(z, mean) as tf.Tensor2D;
  const variance = tf.mean(tf.square(centered), axis, true) as tf.Tensor2D;
  const invStd = tf.rsqrt(tf.add(variance, NORM_EPSILON)) as tf.Tensor2D;
  const normalized = tf.mul(centered, invStd) as tf.Tensor2D;
  const output = tf.add(tf.mul(normalized, params.scale), params.shift) as tf.Tensor2D;
  const cache: NormCache = { normalized, invStd };
  if (params.kind === 'batch') {
    cache.batchMean = mean;
    cache.batchVariance = variance;
  }
  return { output, cache };
}

/** ∂loss/∂z and the gradients of γ and β, from dy = ∂loss/∂(γ ⊙ x̂ + β). */
export function normBackward(
  params: NormParams,
  cache: NormCache,
  dy: tf.Tensor2D,
): { dz: tf.Tensor2D; dScale: tf.Tensor1D; dShift: tf.Tensor1D } {
  const axis = axisOf(params.kind);
  const { normalized, invStd } = cache;
  const dShift = tf.sum(dy, 0) as tf.Tensor1D;
  const dScale = tf.sum(tf.mul(dy, normalized), 0) as tf.Tensor1D;
  const dNormalized = tf.mul(dy, params.scale) as tf.Tensor2D;
  const meanD = tf.mean(dNormalized, axis, true);
  const meanDx = tf.mean(tf.mul(dNormalized, normalized), axis, true);
  const dz = tf.mul(tf.sub(tf.sub(dNormalized, meanD), tf.mul(normalized, meanDx)), invStd) as tf.Tensor2D;
  return { dz, dScale, dShift };
}

/**
 * BatchNorm's running averages after a batch of `rows` rows: m ← (1 − 0.1) m + 0.1 μ_batch, and the same
 * for the unbiased variance σ²_batch · rows / (rows − 1), as torch.nn.BatchNorm1d in training mode.
 */
export function updateRunningAverages(params: NormParams, cache: NormCache, rows: number): void {
  const { runningMean, runningVariance } = params;
  const { batchMean, batchVariance } = cache;
  if (!runningMean || !runningVariance || !batchMean || !batchVariance) return;
  const m = BATCH_NORM_MOMENTUM;
  const unbiased = rows > 1 ? rows / (rows - 1) : 1;
  tf.tidy(() => {
    runningMean.assign(tf.add(tf.mul(runningMean, 1 - m), tf.mul(tf.reshape(batchMean, [-1]), m)));
    runningVariance.assign(
      tf.add(tf.mul(runningVariance, 1 - m), tf.mul(tf.reshape(batchVariance, [-1]), m * unbiased)),
    );
  });
}
