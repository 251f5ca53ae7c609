/**
 * Statistics over seeds, for comparing variants honestly: one run proves little in RL, so every figure the
 * lab shows comes with its spread or a confidence interval. The choices follow rliable (Agarwal et al.,
 * NeurIPS 2021): the interquartile mean as a robust point estimate, percentile-bootstrap intervals.
 */
import { cachedIn } from '../common/cached';
import { Random } from '../common/random';
import { mean, std } from '../train/metrics';

// Mean and population std (NaN for no values) are the metric stream's own (src/train/metrics.ts).
export { mean, std };

/** Median; NaN for no values. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The q-th percentile (0–100) with linear interpolation between order statistics (NumPy's default). */
export function percentile(values: readonly number[], q: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return percentileOfSorted(sorted, q);
}

function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const position = (q / 100) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/**
 * Interquartile mean: the mean of the middle half, after cutting ⌊n/4⌋ values from each end (SciPy's
 * `trim_mean(x, 0.25)`, which rliable uses). Less swayed than the mean by one seed that failed or flew.
 */
export function interquartileMean(values: readonly number[]): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length * 0.25);
  return mean(sorted.slice(cut, sorted.length - cut));
}

/** Coefficient of variation: std / |mean|, how much seeds disagree relative to the size of the result. */
export function coefficientOfVariation(values: readonly number[]): number {
  const m = mean(values);
  return m === 0 ? Number.NaN : std(values) / Math.abs(m);
}

export interface Interval {
  /** The statistic on the data itself. */
  estimate: number;
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** Resamples (default 2,000). */
  resamples?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
  /** Seed of the resampling: the same data and seed give the same interval. */
  seed?: number;
}

/**
 * Percentile bootstrap confidence interval of `statistic` over `values`: resample the values with
 * replacement, compute the statistic each time, and take the (1 − level)/2 and (1 + level)/2 percentiles.
 * With one value the interval is that value (a single seed says nothing about the spread).
 */
export function bootstrapInterval(
  values: readonly number[],
  statistic: (sample: readonly number[]) => number = mean,
  options: BootstrapOptions = {},
): Interval {
  const estimate = statistic(values);
  const n = values.length;
  if (n <= 1) return { estimate, low: estimate, high: estimate };
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const random = Random.stream(options.seed ?? 0, 'bootstrap');
  const sample = new Array<number>(n);
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[random.int(n)];
    stats[b] = statistic(sample);
  }
  stats.sort(); // a typed array sorts numerically
  const tail = ((1 - level) / 2) * 100;
  return { estimate, low: percentileOfSorted(stats, tail), high: percentileOfSorted(stats, 100 - tail) };
}

const remembered = new Map<string, Interval>();

/**
 * `bootstrapInterval`, remembered by its inputs (`name` names the statistic): while runs train the lab
 * recomputes every band each second, but a point's values change only when another seed reaches it.
 */
export function rememberedInterval(
  name: string,
  values: readonly number[],
  statistic: (sample: readonly number[]) => number,
  options: BootstrapOptions = {},
): Interval {
  const key = `${name}|${options.seed ?? 0}|${options.resamples ?? 2000}|${options.level ?? 0.95}|${values.join(',')}`;
  if (remembered.size > 50_000) remembered.clear();
  return cachedIn(remembered, key, () => bootstrapInterval(values, statistic, options));
}

export interface CurvePoint {
  step: number;
  value: number;
}

/**
 * Area under a curve by the trapezoid rule, divided by the steps it spans: the curve's average height, so a
 * run that learns early scores higher than one that reaches the same final return late. One point: its value.
 */
export function normalizedArea(points: readonly CurvePoint[]): number {
  if (!points.length) return Number.NaN;
  if (points.length === 1) return points[0].value;
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    area += ((points[i].value + points[i - 1].value) / 2) * (points[i].step - points[i - 1].step);
  }
  const span = points[points.length - 1].step - points[0].step;
  return span > 0 ? area / span : mean(points.map((p) => p.value));
}

/** The first step at which the curve reaches `threshold`, or null if it never does. */
export function firstStepReaching(points: readonly CurvePoint[], threshold: number): number | null {
  for (const p of points) if (p.value >= threshold) return p.step;
  return null;
}
