/**
 * The results table: one row per variant, over its finished runs (seeds). Every figure is per seed first,
 * then summarised across seeds, so n seeds are n samples, never n × evaluations.
 */
import { byVariant, curveOf } from './aggregate';
import { evalsOf, type LabRun, probesOf } from './runs';
import {
  coefficientOfVariation,
  firstStepReaching,
  type Interval,
  interquartileMean,
  mean,
  median,
  normalizedArea,
  rememberedInterval,
  std,
} from './statistics';

export interface VariantResult {
  variant: string;
  /** Finished runs (the ones summarised) and all runs of the variant. */
  finished: number;
  total: number;
  /** Return of the last evaluation of each run: mean and population std over seeds. */
  finalMean: number;
  finalStd: number;
  /** Interquartile mean of the final returns, with its 95 % bootstrap interval. */
  finalIqm: Interval;
  /** std / |mean| of the final returns. */
  finalCv: number;
  /** Average eval return over the whole run (normalised area under the curve), mean and 95 % interval. */
  area: Interval;
  /** Steps at which each run's eval first reached the threshold: median over those that did, and how many did. */
  stepsToThreshold: number | null;
  reachedThreshold: number;
  /** Overestimation bias at each run's last probe (estimate − true value), mean and 95 % interval; null without probes. */
  finalBias: Interval | null;
  /** Median wall time of one run, in seconds. */
  wallSeconds: number | null;
}

const FINISHED = new Set(['done', 'stopped']);

export function variantResults(runs: readonly LabRun[], threshold: number | null): VariantResult[] {
  return [...byVariant(runs)].map(([variant, group]) => {
    const finished = group.filter((r) => FINISHED.has(r.state) && evalsOf(r).length > 0);
    const finals = finished.map((r) => evalsOf(r).at(-1)?.mean ?? Number.NaN);
    const areas = finished.map((r) => normalizedArea(curveOf(r, 'eval')));
    const reached =
      threshold === null
        ? []
        : finished.flatMap((r) => {
            const step = firstStepReaching(curveOf(r, 'eval'), threshold);
            return step === null ? [] : [step];
          });
    const biases = finished.flatMap((r) => {
      const last = probesOf(r).at(-1);
      return last ? [last.bias] : [];
    });
    const walls = finished.flatMap((r) => (r.wallSeconds === null ? [] : [r.wallSeconds]));
    const seed = variant.length;
    return {
      variant,
      finished: finished.length,
      total: group.length,
      finalMean: mean(finals),
      finalStd: std(finals),
      finalIqm: rememberedInterval('iqm', finals, interquartileMean, { seed }),
      finalCv: coefficientOfVariation(finals),
      area: rememberedInterval('mean', areas, mean, { seed: seed + 1 }),
      stepsToThreshold: reached.length ? median(reached) : null,
      reachedThreshold: reached.length,
      finalBias: biases.length ? rememberedInterval('mean', biases, mean, { seed: seed + 2 }) : null,
      wallSeconds: walls.length ? median(walls) : null,
    };
  });
}

/** A number as the tables print it: no more digits than the noise between seeds deserves. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const abs = Math.abs(v);
  const text =
    abs >= 100 ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toPrecision(2);
  return text.replace('-', '−');
}

export const formatInterval = (i: Interval | null): string =>
  i === null ? '—' : `${formatNumber(i.estimate)} [${formatNumber(i.low)}, ${formatNumber(i.high)}]`;

export const RESULT_COLUMNS = [
  'variant',
  'runs',
  'final return (mean ± std)',
  'IQM [95% CI]',
  'CV',
  'average return over the run (AUC ÷ steps) [95% CI]',
  'steps to threshold',
  'final bias [95% CI]',
  'wall time per run',
] as const;

/** One row of cells, in the order of RESULT_COLUMNS. */
export function resultCells(r: VariantResult, threshold: number | null): string[] {
  return [
    r.variant,
    r.finished === r.total ? String(r.total) : `${r.finished} of ${r.total}`,
    r.finished ? `${formatNumber(r.finalMean)} ± ${formatNumber(r.finalStd)}` : '—',
    r.finished ? formatInterval(r.finalIqm) : '—',
    r.finished ? formatNumber(r.finalCv) : '—',
    r.finished ? formatInterval(r.area) : '—',
    threshold === null || !r.finished
      ? '—'
      : r.stepsToThreshold === null
        ? `not reached (0 of ${r.finished})`
        : `${Math.round(r.stepsToThreshold).toLocaleString('en-US')} (${r.reachedThreshold} of ${r.finished})`,
    formatInterval(r.finalBias),
    r.wallSeconds === null ? '—' : `${r.wallSeconds.toFixed(0)} s`,
  ];
}

/** The table in Markdown, as `npm run sweep` prints it and README quotes it. */
export function resultsMarkdown(results: readonly VariantResult[], threshold: number | null): string {
  const header = RESULT_COLUMNS.map((c) =>
    c === 'steps to threshold' && threshold !== null ? `steps to ${threshold}` : c,
  );
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of results) lines.push(`| ${resultCells(r, threshold).join(' | ')} |`);
  return lines.join('\n');
}
