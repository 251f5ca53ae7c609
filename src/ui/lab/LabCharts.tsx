/**
 * The lab's charts: per variant, the mean over seeds with its 95 % bootstrap band, for the evaluation return,
 * the overestimation bias and the critic's estimate against the true value (the paper's Figure 1); and for a
 * sensitivity sweep, the final return against the swept value with 95 % whiskers. Each chart saves as SVG
 * or PNG.
 */
import { memo, startTransition, useEffect, useMemo, useRef, useState } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  ErrorBar,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { type CurveKind, variantBands } from '../../lab/aggregate';
import { variantResults } from '../../lab/results';
import type { LabRun } from '../../lab/runs';
import { mean, rememberedInterval } from '../../lab/statistics';
import { chartSvg, type LegendEntry, saveBlob, saveText, svgToPng } from '../download';
import { formatStep, formatValue } from '../series';
import { useLab } from './labStore';

const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
export const variantColor = (index: number): string => PALETTE[index % PALETTE.length];

/** Each chart redraws at most this often while runs train, the charts in turn (`phase`), never all at once. */
const CHART_REDRAW_MS = 2000;
const CHART_PHASE_MS = 400;

/**
 * The runs, re-read at most every `ms` while training (shifted by `phaseMs`), as a low-priority transition.
 * The store is watched from an effect, not through a selector: a selector would re-render the component on
 * each of the dozens of messages a second that the workers send.
 */
export function useLabRuns(ms = 1000, phaseMs = 0): LabRun[] {
  const [version, setVersion] = useState(() => useLab.getState().version);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let next = performance.now() + phaseMs;
    const show = () => {
      timer = null;
      next = Math.max(performance.now(), next) + ms;
      startTransition(() => setVersion(useLab.getState().version));
    };
    const unsubscribe = useLab.subscribe((state, previous) => {
      if (state.version === previous.version || timer !== null) return;
      timer = setTimeout(show, Math.max(0, next - performance.now()));
    });
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [ms, phaseMs]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs change in place; version marks changes
  return useMemo(() => [...useLab.getState().runs], [version]);
}

interface Series {
  key: string;
  label: string;
  color: string;
  dashed?: boolean;
  band?: boolean;
}

function ChartFrame({
  title,
  note,
  legend,
  points,
  testId,
  children,
}: {
  title: string;
  note: string;
  legend: LegendEntry[];
  points: number;
  testId: string;
  children: React.ReactNode;
}) {
  const figure = useRef<HTMLElement>(null);
  const fileBase = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const save = async (kind: 'svg' | 'png') => {
    if (!figure.current) return;
    try {
      const svg = chartSvg(figure.current, title, legend);
      if (kind === 'svg') saveText(svg, `${fileBase}.svg`, 'image/svg+xml');
      else saveBlob(await svgToPng(svg), `${fileBase}.png`);
    } catch (error) {
      useLab.getState().notify('error', `Could not save the chart: ${(error as Error).message}`);
    }
  };
  return (
    <figure className="chart lab-chart" ref={figure} data-testid={testId} data-points={points}>
      <figcaption>
        {title}
        <span className="chart-note">{note}</span>
        <span className="chart-save">
          <button type="button" onClick={() => save('svg')}>
            SVG
          </button>
          <button type="button" onClick={() => save('png')}>
            PNG
          </button>
        </span>
      </figcaption>
      <ul className="lab-legend">
        {legend.map((entry) => (
          <li key={entry.label}>
            <span className="swatch" style={{ background: entry.color }} /> {entry.label}
          </li>
        ))}
      </ul>
      {children}
    </figure>
  );
}

/** Rows for recharts: one per step, `vI` the mean of variant I and `vI_band` its [low, high]. */
function bandRows(
  runs: LabRun[],
  kinds: CurveKind[],
  variants: string[],
  fromStep: number,
  window: number,
): Record<string, unknown>[] {
  const rows = new Map<number, Record<string, unknown>>();
  for (const kind of kinds) {
    const bands = variantBands(runs, kind, window);
    variants.forEach((variant, i) => {
      for (const p of bands.get(variant) ?? []) {
        if (p.step < fromStep) continue;
        const row = rows.get(p.step) ?? { step: p.step };
        row[`${kind}${i}`] = p.mean;
        row[`${kind}${i}_band`] = [p.low, p.high];
        row[`${kind}${i}_n`] = p.n;
        rows.set(p.step, row);
      }
    });
  }
  return [...rows.values()].sort((a, b) => (a.step as number) - (b.step as number));
}

/**
 * The previous rows while nothing drawn has changed: the charts re-render (recharts' costly part) only when
 * a point moved or arrived, not on every second's recompute.
 */
function useStableRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const previous = useRef<{ signature: string; rows: Record<string, unknown>[] } | null>(null);
  const signature = JSON.stringify(rows);
  if (previous.current?.signature !== signature) previous.current = { signature, rows };
  return previous.current.rows;
}

const BandPlot = memo(function BandPlot({
  rows,
  series,
}: {
  rows: Record<string, unknown>[];
  series: Series[];
}) {
  return (
    <ResponsiveContainer width="100%" height={240}>
      <ComposedChart data={rows} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="#e5e7eb" />
        <XAxis
          dataKey="step"
          type="number"
          domain={['dataMin', 'dataMax']}
          tickFormatter={formatStep}
          fontSize={11}
        />
        <YAxis fontSize={11} width={56} tickFormatter={formatValue} domain={['auto', 'auto']} />
        <Tooltip
          formatter={(v) =>
            Array.isArray(v) ? v.map((x) => formatValue(Number(x))).join(' – ') : formatValue(Number(v))
          }
          labelFormatter={(x) => `step ${x}`}
        />
        {series.map((s) =>
          s.band ? (
            <Area
              key={`${s.key}_band`}
              dataKey={`${s.key}_band`}
              name={`${s.label} (95% CI)`}
              stroke="none"
              fill={s.color}
              fillOpacity={0.15}
              isAnimationActive={false}
              connectNulls
            />
          ) : null,
        )}
        {series.map((s) => (
          <Line
            key={s.key}
            dataKey={s.key}
            name={s.label}
            stroke={s.color}
            strokeDasharray={s.dashed ? '5 3' : undefined}
            dot={false}
            strokeWidth={1.8}
            isAnimationActive={false}
            connectNulls
          />
        ))}
      </ComposedChart>
    </ResponsiveContainer>
  );
});

function BandChart({
  variants,
  kind,
  title,
  note,
  testId,
  fromStep,
  phase,
}: {
  variants: string[];
  fromStep: number;
  kind: CurveKind;
  title: string;
  note: string;
  testId: string;
  phase: number;
}) {
  const runs = useLabRuns(CHART_REDRAW_MS, phase * CHART_PHASE_MS);
  const window = useLab((s) => s.settings.evalEvery);
  const rows = useStableRows(
    useMemo(
      () => bandRows(runs, [kind], variants, fromStep, window),
      [runs, variants, kind, fromStep, window],
    ),
  );
  const names = variants.join('\n');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the names say when the variants changed
  const series = useMemo(
    () => variants.map((label, i) => ({ key: `${kind}${i}`, label, color: variantColor(i), band: true })),
    [names, kind],
  );
  const legend = series.map((s) => ({ label: s.label, color: s.color }));
  return (
    <ChartFrame title={title} note={note} legend={legend} points={rows.length} testId={testId}>
      <BandPlot rows={rows} series={series} />
    </ChartFrame>
  );
}

/** The paper's Figure 1: each variant's value estimate (solid, with band) against the true value (dashed). */
function EstimateChart({
  variants,
  fromStep,
  phase,
}: {
  variants: string[];
  fromStep: number;
  phase: number;
}) {
  const runs = useLabRuns(CHART_REDRAW_MS, phase * CHART_PHASE_MS);
  const rows = useStableRows(
    useMemo(
      () => bandRows(runs, ['estimate', 'trueValue'], variants, fromStep, 1),
      [runs, variants, fromStep],
    ),
  );
  const names = variants.join('\n');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the names say when the variants changed
  const series: Series[] = useMemo(
    () =>
      variants.flatMap((label, i) => [
        { key: `estimate${i}`, label: `${label}: estimate`, color: variantColor(i), band: true },
        { key: `trueValue${i}`, label: `${label}: true value`, color: variantColor(i), dashed: true },
      ]),
    [names],
  );
  const legend = series.map((s) => ({ label: s.label, color: s.color }));
  return (
    <ChartFrame
      title="Value estimate vs true value"
      note="the paper’s Figure 1: solid = critic’s estimate, dashed = Monte-Carlo true value"
      legend={legend}
      points={rows.length}
      testId="lab-chart-estimate"
    >
      <BandPlot rows={rows} series={series} />
    </ChartFrame>
  );
}

/** Variants named "field=value" (a sensitivity sweep): final return against the value. */
function SensitivityChart({ phase }: { phase: number }) {
  const runs = useLabRuns(CHART_REDRAW_MS, phase * CHART_PHASE_MS);
  const points = useMemo(() => {
    const results = variantResults(runs, null);
    return results.flatMap((r) => {
      const match = /^(\w+) = (-?[\d.e+-]+)$/.exec(r.variant);
      if (!match || !r.finished) return [];
      const group = runs.filter(
        (run) => run.variant === r.variant && (run.state === 'done' || run.state === 'stopped'),
      );
      const finals = group.flatMap((run) => {
        const last = run.records.filter((x) => x.type === 'eval').at(-1);
        return last?.type === 'eval' ? [last.mean] : [];
      });
      const ci = rememberedInterval('mean', finals, mean, { seed: 7 });
      return [
        {
          field: match[1],
          value: Number(match[2]),
          mean: ci.estimate,
          whisker: [ci.estimate - ci.low, ci.high - ci.estimate],
          n: finals.length,
        },
      ];
    });
  }, [runs]);
  const fields = new Set(points.map((p) => p.field));
  if (points.length < 2 || fields.size !== 1) return null;
  const field = [...fields][0];
  const rows = [...points].sort((a, b) => a.value - b.value);
  return (
    <ChartFrame
      title={`Final return against ${field}`}
      note="mean over seeds, whiskers: 95% bootstrap interval"
      legend={[{ label: 'final eval return', color: PALETTE[0] }]}
      points={rows.length}
      testId="lab-chart-sensitivity"
    >
      <ResponsiveContainer width="100%" height={240}>
        <ComposedChart data={rows} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e5e7eb" />
          <XAxis dataKey="value" type="number" domain={['dataMin', 'dataMax']} fontSize={11} />
          <YAxis fontSize={11} width={56} tickFormatter={formatValue} domain={['auto', 'auto']} />
          <Tooltip
            formatter={(v) => formatValue(Number(Array.isArray(v) ? v[0] : v))}
            labelFormatter={(x) => `${field} = ${x}`}
          />
          <Line dataKey="mean" name="final eval return" stroke={PALETTE[0]} isAnimationActive={false}>
            <ErrorBar dataKey="whisker" width={6} stroke={PALETTE[0]} direction="y" />
          </Line>
        </ComposedChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

export function LabCharts({ runs }: { runs: LabRun[] }) {
  const names = runs.map((r) => r.variant).join('\n');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the names say when the variants changed
  const variants = useMemo(() => [...new Set(runs.map((r) => r.variant))], [names]);
  const probeUnavailable = runs.some((r) => r.records.some((x) => x.type === 'probeUnavailable'));
  const hasEvals = runs.some((r) => r.records.some((x) => x.type === 'eval'));
  // Early in a run the critic's errors dwarf everything after: a zoom into the later part shows the differences.
  const [shown, setShown] = useState<'all' | 'half' | 'quarter'>('all');
  const lastStep = Math.max(0, ...runs.map((r) => r.step));
  const fromStep = shown === 'all' ? 0 : shown === 'half' ? lastStep / 2 : (lastStep * 3) / 4;
  return (
    <>
      <label className="lab-zoom">
        Charts show{' '}
        <select value={shown} onChange={(e) => setShown(e.target.value as typeof shown)}>
          <option value="all">the whole run</option>
          <option value="half">the second half</option>
          <option value="quarter">the last quarter</option>
        </select>
      </label>
      <div className="charts lab-charts">
        {hasEvals ? (
          <BandChart
            variants={variants}
            kind="eval"
            fromStep={fromStep}
            title="Evaluation return"
            note="noise-free episodes; mean over seeds, band: 95% bootstrap interval of the mean"
            testId="lab-chart-return"
            phase={0}
          />
        ) : null}
        {probeUnavailable ? (
          <p className="chart-unavailable">
            The overestimation probe is not available for this env (its state cannot be restored exactly).
          </p>
        ) : (
          <>
            <BandChart
              variants={variants}
              kind="bias"
              fromStep={fromStep}
              title="Overestimation bias"
              note="estimate − true value; above zero: the critic overestimates"
              testId="lab-chart-bias"
              phase={1}
            />
            <EstimateChart variants={variants} fromStep={fromStep} phase={2} />
          </>
        )}
        <BandChart
          variants={variants}
          kind="train"
          fromStep={fromStep}
          title="Training episode return"
          note="with exploration noise, averaged per evaluation interval; runs of other tools show here"
          testId="lab-chart-train"
          phase={3}
        />
        <SensitivityChart phase={4} />
      </div>
    </>
  );
}
