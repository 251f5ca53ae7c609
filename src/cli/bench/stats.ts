/** Summaries of repeated measurements: median with min and max, and ratios to the PyTorch reference. */

export interface Summary {
  /** Every repeat's figure, in the order measured. */
  values: number[];
  median: number;
  min: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  if (!values.length) return { values, median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { values, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** figure / reference, or null when either is missing. */
export function ratio(value: number | null | undefined, reference: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  if (reference === null || reference === undefined || !(reference > 0)) return null;
  return value / reference;
}
