/**
 * LayerNorm and BatchNorm of src/rl/normLayers.ts in float32 on a Float32Array (tfjs-wasm's memory), for the
 * in-place update (src/rl/inPlaceOps.ts): the same equations, each step rounded to float32 as tfjs rounds it.
 * Offsets are in floats. Rows are the batch, features the layer's units; LayerNorm takes its statistics over
 * each row's features, BatchNorm over each feature's rows.
 *
 *   forward   x̂ = (z − μ) / √(σ² + ε),  h = ReLU(γ ⊙ x̂ + β)       (σ² biased, ε = 10⁻⁵)
 *   backward  dx̂ = dy ⊙ γ;  dβ = Σ_rows dy;  dγ = Σ_rows dy ⊙ x̂;
 *             dz = (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) / √(σ² + ε)
 */
import { BATCH_NORM_MOMENTUM, NORM_EPSILON, type NormKind } from './normLayers';

const f = Math.fround;
const EPSILON = f(NORM_EPSILON);

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
 * inverse standard deviations, and the mean and variance kept at `trace`.
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
  const layer = norm.kind === 'layer';
  const groups = layer ? rows : features;
  const count = layer ? features : rows;
  // Element k of group g: row g, feature k (LayerNorm), or row k, feature g (BatchNorm).
  const [rowStep, featureStep] = layer ? [features, 1] : [1, features];
  const { normalized, invStd, mean, variance } = trace;
  for (let g = 0; g < groups; g++) {
    const base = g * rowStep;
    let sum = 0;
    for (let k = 0; k < count; k++) sum = f(sum + heap[z + base + k * featureStep]);
    const mu = f(sum / count);
    let squares = 0;
    for (let k = 0; k < count; k++) {
      const c = f(heap[z + base + k * featureStep] - mu);
      squares = f(squares + f(c * c));
    }
    const sigma2 = f(squares / count);
    const inv = f(1 / f(Math.sqrt(f(sigma2 + EPSILON))));
    heap[invStd + g] = inv;
    heap[mean + g] = mu;
    heap[variance + g] = sigma2;
    for (let k = 0; k < count; k++) {
      const at = base + k * featureStep;
      const xhat = f(f(heap[z + at] - mu) * inv);
      heap[normalized + at] = xhat;
      const j = layer ? k : g;
      const y = f(f(xhat * heap[norm.scale + j]) + heap[norm.shift + j]);
      heap[out + at] = Math.max(y, 0);
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
  for (let j = 0; j < features; j++) {
    let sumDy = 0;
    let sumDyX = 0;
    for (let i = 0; i < rows; i++) {
      const at = i * features + j;
      sumDy = f(sumDy + heap[dy + at]);
      sumDyX = f(sumDyX + f(heap[dy + at] * heap[normalized + at]));
    }
    heap[dShift + j] = sumDy;
    heap[dScale + j] = sumDyX;
  }
  const layer = norm.kind === 'layer';
  const groups = layer ? rows : features;
  const count = layer ? features : rows;
  const [rowStep, featureStep] = layer ? [features, 1] : [1, features];
  for (let g = 0; g < groups; g++) {
    const base = g * rowStep;
    let sumD = 0;
    let sumDx = 0;
    for (let k = 0; k < count; k++) {
      const at = base + k * featureStep;
      const dNormalized = f(heap[dy + at] * heap[norm.scale + (layer ? k : g)]);
      sumD = f(sumD + dNormalized);
      sumDx = f(sumDx + f(dNormalized * heap[normalized + at]));
    }
    const meanD = f(sumD / count);
    const meanDx = f(sumDx / count);
    const inv = heap[invStd + g];
    for (let k = 0; k < count; k++) {
      const at = base + k * featureStep;
      const xhat = heap[normalized + at];
      const dNormalized = f(heap[dy + at] * heap[norm.scale + (layer ? k : g)]);
      heap[dz + at] = f(f(f(dNormalized - meanD) - f(xhat * meanDx)) * inv);
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
