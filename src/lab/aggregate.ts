/**
 * Curves over seeds: at each env step, the mean over the variant's runs with a 95 % bootstrap confidence
 * band. Runs still training contribute the steps they have reached, so the band is live; `n` says how many
 * seeds each point rests on.
 */
import { evalsOf, type LabRun, probesOf } from './runs';
import { type CurvePoint, mean, rememberedInterval } from './statistics';

export interface BandPoint {
  step: number;
  /** Runs with a value at this step. */
  n: number;
  mean: number;
  low: number;
  high: number;
}

/**
 * The quantities the lab draws per variant. 'train' is the training episodes' return (with exploration
 * noise), averaged in windows of env steps so that runs whose episodes end at different steps line up.
 */
export type CurveKind = 'eval' | 'bias' | 'estimate' | 'trueValue' | 'train';

/** Env steps per window of the 'train' curve, unless the caller says otherwise. */
export const DEFAULT_TRAIN_WINDOW = 1000;

export function curveOf(run: LabRun, kind: CurveKind, window = DEFAULT_TRAIN_WINDOW): CurvePoint[] {
  if (kind === 'eval') return evalsOf(run).map((e) => ({ step: e.step, value: e.mean }));
  if (kind === 'train') return trainingCurve(run, window);
  return probesOf(run).map((p) => ({ step: p.step, value: p[kind] }));
}

/** Mean return of the training episodes that ended in each window (0, w], (w, 2w], …, placed at its end. */
function trainingCurve(run: LabRun, window: number): CurvePoint[] {
  const sums = new Map<number, { sum: number; count: number }>();
  for (const r of run.records) {
    if (r.type !== 'episode' || !Number.isFinite(r.return)) continue;
    const end = Math.max(1, Math.ceil(r.step / window)) * window;
    const bin = sums.get(end) ?? { sum: 0, count: 0 };
    bin.sum += r.return;
    bin.count++;
    sums.set(end, bin);
  }
  return [...sums.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, { sum, count }]) => ({ step, value: sum / count }));
}

/** Runs grouped by variant, in the order the variants first appear. */
export function byVariant(runs: readonly LabRun[]): Map<string, LabRun[]> {
  const groups = new Map<string, LabRun[]>();
  for (const run of runs) {
    const group = groups.get(run.variant);
    if (group) group.push(run);
    else groups.set(run.variant, [run]);
  }
  return groups;
}

/** A stable seed for the bootstrap of one point, so the same data always draws the same band. */
function pointSeed(label: string, step: number): number {
  let h = step >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function band(curves: readonly CurvePoint[][], label = '', resamples = 1000): BandPoint[] {
  const atStep = new Map<number, number[]>();
  for (const curve of curves) {
    for (const p of curve) {
      if (!Number.isFinite(p.value)) continue;
      const values = atStep.get(p.step);
      if (values) values.push(p.value);
      else atStep.set(p.step, [p.value]);
    }
  }
  return [...atStep.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, values]) => {
      const ci = rememberedInterval('mean', values, mean, { resamples, seed: pointSeed(label, step) });
      return { step, n: values.length, mean: ci.estimate, low: ci.low, high: ci.high };
    });
}

/** The band of one quantity for every variant. */
export function variantBands(
  runs: readonly LabRun[],
  kind: CurveKind,
  window = DEFAULT_TRAIN_WINDOW,
): Map<string, BandPoint[]> {
  const out = new Map<string, BandPoint[]>();
  for (const [variant, group] of byVariant(runs)) {
    out.set(
      variant,
      band(
        group.map((r) => curveOf(r, kind, window)),
        `${variant}/${kind}`,
      ),
    );
  }
  return out;
}
