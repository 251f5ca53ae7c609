/**
 * LayerNorm and BatchNorm of src/rl/normLayers.ts in float32 on a Float32Array (tfjs-wasm's memory), for the
 * in-place update (src/rl/inPlaceOps.ts): the same equations, in float64 between float32 loads and stores (so
 * within float32 rounding of the tfjs operations, not bit for bit). Offsets are in floats. Rows are the batch, features the layer's units; LayerNorm takes its statistics over
 * each row's features, BatchNorm over each feature's rows.
 *
 *   forward   x̂ = (z − μ) / √(σ² + ε),  h = ReLU(γ ⊙ x̂ + β)       (σ² biased, ε = 10⁻⁵)
 *   backward  dx̂ = dy ⊙ γ;  dβ = Σ_rows dy;  dγ = Σ_rows dy ⊙ x̂;
 *             dz = (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) / √(σ² + ε)
 */
import { BATCH_NORM_MOMENTUM, NORM_EPSILON, type NormKind } from './normLayers';

const f = Math.fround;

/** float64 accumulators, kept between calls (grown as needed). */
let accumulators = new Float64Array(0);
const scratch = (size: number): Float64Array => {
  if (accumulators.length < size) accumulators = new Float64Array(size);
  return accumulators;
};

/** Where one normalised layer's numbers are. */
export interface NormAt {
  kind: NormKind;
  scale: number;
  shift: number;
  /** BatchNorm's running averages (absent for LayerNorm). */
  runningMean: number;
  runningVariance: number;
}

/** What a forward pass keeps: x̂ (rows × features), 1/√(σ² + ε) (per row or per feature) and BatchNorm's μ, σ². */
export interface NormTraceAt {
  normalized: number;
  invStd: number;
  mean: number;
  variance: number;
}

/** Floats each statistic takes: one per row (LayerNorm) or per feature (BatchNorm). */
export const statisticSize = (kind: NormKind, rows: number, features: number) =>
  kind === 'layer' ? rows : features;

/**
 * h = ReLU(γ ⊙ x̂ + β) of the pre-activations at `z` (rows × features, row-major), written to `out`; x̂, the
 * inverse standard deviations, and the mean and variance kept at `trace`. Sums run in float64 (rounded once,
 * when stored), row by row in memory order for both kinds.
 */
export function normForwardAt(
  heap: Float32Array,
  norm: NormAt,
  z: number,
  rows: number,
  features: number,
  trace: NormTraceAt,
  out: number,
): void {
  const { normalized, invStd, mean, variance } = trace;
  const { scale, shift } = norm;
  if (norm.kind === 'layer') {
    for (let i = 0; i < rows; i++) {
      const row = z + i * features;
      // Σz and Σz² in one pass, in float64 (float32 inputs: E[z²] − μ² loses nothing that matters here).
      let sum = 0;
      let sumSquares = 0;
      for (let j = 0; j < features; j++) {
        const v = heap[row + j];
        sum += v;
        sumSquares += v * v;
      }
      const mu = sum / features;
      const sigma2 = Math.max(sumSquares / features - mu * mu, 0);
      const inv = f(1 / Math.sqrt(sigma2 + NORM_EPSILON));
      heap[invStd + i] = inv;
      heap[mean + i] = mu;
      heap[variance + i] = sigma2;
      const at = i * features;
      for (let j = 0; j < features; j++) {
        const xhat = f((heap[row + j] - mu) * inv);
        heap[normalized + at + j] = xhat;
        const y = xhat * heap[scale + j] + heap[shift + j];
        heap[out + at + j] = y > 0 ? y : y !== y ? y : 0;
      }
    }
    return;
  }
  // BatchNorm: the statistics per feature, accumulated row by row.
  // Σz and Σz² per feature (sums at [0, features), squares at [features, 2 features)), in float64.
  const sums = scratch(2 * features);
  sums.fill(0, 0, 2 * features);
  for (let i = 0; i < rows; i++) {
    const row = z + i * features;
    for (let j = 0; j < features; j++) {
      const v = heap[row + j];
      sums[j] += v;
      sums[features + j] += v * v;
    }
  }
  for (let j = 0; j < features; j++) {
    const mu = sums[j] / rows;
    const sigma2 = Math.max(sums[features + j] / rows - mu * mu, 0);
    heap[mean + j] = mu;
    heap[variance + j] = sigma2;
    heap[invStd + j] = 1 / Math.sqrt(sigma2 + NORM_EPSILON);
  }
  for (let i = 0; i < rows; i++) {
    const row = z + i * features;
    const at = i * features;
    for (let j = 0; j < features; j++) {
      const xhat = f((heap[row + j] - heap[mean + j]) * heap[invStd + j]);
      heap[normalized + at + j] = xhat;
      const y = xhat * heap[scale + j] + heap[shift + j];
      heap[out + at + j] = y > 0 ? y : y !== y ? y : 0;
    }
  }
}

/**
 * dz (to `dz`), dγ and dβ (to `dScale`, `dShift`) from dy = ∂loss/∂(γ ⊙ x̂ + β) at `dy` (already masked by
 * the ReLU after it), through the statistics the forward pass kept.
 */
export function normBackwardAt(
  heap: Float32Array,
  norm: NormAt,
  trace: NormTraceAt,
  dy: number,
  rows: number,
  features: number,
  dz: number,
  dScale: number,
  dShift: number,
): void {
  const { normalized, invStd } = trace;
  const { scale } = norm;
  for (let j = 0; j < features; j++) {
    heap[dShift + j] = 0;
    heap[dScale + j] = 0;
  }
  if (norm.kind === 'layer') {
    for (let i = 0; i < rows; i++) {
      const at = i * features;
      let sumD = 0;
      let sumDx = 0;
      for (let j = 0; j < features; j++) {
        const g = heap[dy + at + j];
        const x = heap[normalized + at + j];
        heap[dShift + j] += g;
        heap[dScale + j] += g * x;
        const d = g * heap[scale + j];
        sumD += d;
        sumDx += d * x;
      }
      const meanD = sumD / features;
      const meanDx = sumDx / features;
      const inv = heap[invStd + i];
      for (let j = 0; j < features; j++) {
        const d = heap[dy + at + j] * heap[scale + j];
        heap[dz + at + j] = (d - meanD - heap[normalized + at + j] * meanDx) * inv;
      }
    }
    return;
  }
  // BatchNorm: the means of dx̂ and dx̂ ⊙ x̂ over the rows are dβ·γ/rows and dγ·γ/rows.
  for (let i = 0; i < rows; i++) {
    const at = i * features;
    for (let j = 0; j < features; j++) {
      const g = heap[dy + at + j];
      heap[dShift + j] += g;
      heap[dScale + j] += g * heap[normalized + at + j];
    }
  }
  for (let i = 0; i < rows; i++) {
    const at = i * features;
    for (let j = 0; j < features; j++) {
      const gamma = heap[scale + j];
      const meanD = (heap[dShift + j] * gamma) / rows;
      const meanDx = (heap[dScale + j] * gamma) / rows;
      const d = heap[dy + at + j] * gamma;
      heap[dz + at + j] = (d - meanD - heap[normalized + at + j] * meanDx) * heap[invStd + j];
    }
  }
}

/**
 * BatchNorm's running averages after a batch of `rows` rows: m ← (1 − 0.1) m + 0.1 μ, v ← (1 − 0.1) v +
 * 0.1 σ² · rows / (rows − 1), as normLayers.updateRunningAverages (and torch.nn.BatchNorm1d) do.
 */
export function runningAveragesAt(
  heap: Float32Array,
  norm: NormAt,
  trace: NormTraceAt,
  rows: number,
  features: number,
): void {
  const keep = f(1 - BATCH_NORM_MOMENTUM);
  const m = f(BATCH_NORM_MOMENTUM);
  const mUnbiased = f(BATCH_NORM_MOMENTUM * (rows > 1 ? rows / (rows - 1) : 1));
  for (let j = 0; j < features; j++) {
    heap[norm.runningMean + j] = f(f(heap[norm.runningMean + j] * keep) + f(heap[trace.mean + j] * m));
    heap[norm.runningVariance + j] = f(
      f(heap[norm.runningVariance + j] * keep) + f(heap[trace.variance + j] * mUnbiased),
    );
  }
}
