/**
 * Chart series kept in full, drawn downsampled: a 1M-step run has thousands of points per series, a chart
 * needs a few hundred. Downsampling averages equal-width buckets of env steps; EMA smoothing is applied
 * to the full series first, so it means the same at every zoom.
 */

export interface Point {
  x: number;
  y: number;
}

/** Exponential moving average with weight `alpha` on the past (0 = none, 0.99 = heavy), bias-corrected. */
export function ema(points: Point[], alpha: number): Point[] {
  if (alpha <= 0) return points;
  let avg = 0;
  let weight = 0;
  return points.map((p) => {
    avg = alpha * avg + (1 - alpha) * p.y;
    weight = alpha * weight + (1 - alpha);
    return { x: p.x, y: avg / weight };
  });
}

/** At most `maxPoints` points: the mean x and y of each bucket of consecutive points. */
export function downsample(points: Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints) return points;
  const out: Point[] = [];
  const size = points.length / maxPoints;
  for (let b = 0; b < maxPoints; b++) {
    const start = Math.floor(b * size);
    const end = Math.max(start + 1, Math.floor((b + 1) * size));
    let sx = 0;
    let sy = 0;
    for (let i = start; i < end; i++) {
      sx += points[i].x;
      sy += points[i].y;
    }
    out.push({ x: sx / (end - start), y: sy / (end - start) });
  }
  return out;
}

/** Joins several series on x for a recharts data array: [{ x, a: …, b: … }]. */
export function joinSeries(series: Record<string, Point[]>): Record<string, number>[] {
  const rows = new Map<number, Record<string, number>>();
  for (const [key, points] of Object.entries(series)) {
    for (const p of points) {
      const row = rows.get(p.x) ?? { x: p.x };
      row[key] = p.y;
      rows.set(p.x, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.x - b.x);
}

/** Axis ticks: env steps as 2.5k / 20k, values with about three significant digits. */
export const formatStep = (x: number) =>
  x >= 1000 ? `${(x / 1000).toFixed(x >= 10000 ? 0 : 1)}k` : String(x);
export const formatValue = (v: number) =>
  Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(3);
