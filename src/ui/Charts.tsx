/** Live charts over env steps: returns, the overestimation probe, losses, Q values and throughput. */
import { memo, type ReactNode, useMemo } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { downsample, ema, formatStep, formatValue, joinSeries, type Point } from './series';
import { type SeriesKey, type SeriesSet, usePlayground } from './store';
import { useThrottled } from './useThrottled';

/** Points drawn per series: enough to look smooth, few enough to render in a few milliseconds. */
const MAX_POINTS = 200;
/** Each chart redraws at most this often; the six take turns. */
const REDRAW_MS = 1000;
const CHART_COUNT = 6;

interface LineSpec {
  key: SeriesKey;
  name: string;
  color: string;
  smooth?: boolean;
  dashed?: boolean;
  thin?: boolean;
}

function prepare(series: SeriesSet, lines: LineSpec[], smoothing: number): Record<string, number>[] {
  const picked: Record<string, Point[]> = {};
  for (const line of lines) {
    const points = line.smooth ? ema(series[line.key], smoothing) : series[line.key];
    picked[line.key] = downsample(points, MAX_POINTS);
  }
  return joinSeries(picked);
}

/** A shaded interval between two series (drawn under the lines). */
interface BandSpec {
  low: SeriesKey;
  high: SeriesKey;
  name: string;
  color: string;
}

interface ChartProps {
  title: string;
  lines: LineSpec[];
  band?: BandSpec;
  /** Position in the redraw rotation: charts redraw one at a time. */
  phase: number;
  /** Needs the overestimation probe: shows why not, where it cannot run. */
  probe?: boolean;
  children?: string;
  /** Shown under the plot. */
  footer?: ReactNode;
}

function Chart({ title, lines, band, phase, probe, children, footer }: ChartProps) {
  const unavailable = usePlayground((s) => (probe ? s.probeUnavailable : null));
  const version = useThrottled(
    usePlayground((s) => s.seriesVersion),
    REDRAW_MS,
    (phase * REDRAW_MS) / CHART_COUNT,
  );
  const smoothing = usePlayground((s) => s.smoothing);
  // biome-ignore lint/correctness/useExhaustiveDependencies: series is mutated in place; version marks changes
  const data = useMemo(() => {
    const series = usePlayground.getState().series;
    const rows = prepare(
      series,
      band
        ? [...lines, { key: band.low, name: '', color: '' }, { key: band.high, name: '', color: '' }]
        : lines,
      smoothing,
    );
    if (band)
      for (const row of rows)
        if (band.low in row) (row as Record<string, unknown>).band = [row[band.low], row[band.high]];
    return rows;
  }, [version, smoothing, lines, band]);
  const points = data.length;
  return (
    <figure className="chart" data-testid={`chart-${title}`} data-points={points}>
      <figcaption>
        {title}
        {children ? <span className="chart-note">{children}</span> : null}
      </figcaption>
      {unavailable ? <p className="chart-unavailable">Not available for this env: {unavailable}</p> : null}
      <ChartPlot data={data} lines={lines} band={band} />
      {footer}
    </figure>
  );
}

/**
 * The recharts part, memoised: it re-renders only when its data changes (a few times a second), not on
 * every message that reaches the store.
 */
const ChartPlot = memo(function ChartPlot({
  data,
  lines,
  band,
}: {
  data: Record<string, number>[];
  lines: LineSpec[];
  band?: BandSpec;
}) {
  return (
    <ResponsiveContainer width="100%" height={210}>
      <ComposedChart data={data} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="#e5e7eb" />
        <XAxis
          dataKey="x"
          type="number"
          domain={['dataMin', 'dataMax']}
          tickFormatter={formatStep}
          fontSize={11}
        />
        <YAxis fontSize={11} width={52} tickFormatter={formatValue} domain={['auto', 'auto']} />
        <Tooltip
          formatter={(v) => (typeof v === 'number' ? formatValue(v) : String(v))}
          labelFormatter={(x) => `step ${x}`}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {band ? (
          <Area
            dataKey="band"
            name={band.name}
            legendType="square"
            stroke="none"
            fill={band.color}
            fillOpacity={0.15}
            isAnimationActive={false}
            connectNulls
          />
        ) : null}
        {lines.map((line) => (
          <Line
            key={line.key}
            dataKey={line.key}
            name={line.name}
            stroke={line.color}
            strokeDasharray={line.dashed ? '4 3' : undefined}
            dot={false}
            strokeWidth={line.thin ? 1.2 : 1.8}
            isAnimationActive={false}
            connectNulls
          />
        ))}
      </ComposedChart>
    </ResponsiveContainer>
  );
});

const RETURN: LineSpec[] = [
  {
    key: 'episodeReturn',
    name: 'training episodes (with noise)',
    color: '#9ca3af',
    smooth: true,
    thin: true,
  },
  { key: 'evalMean', name: 'eval (deterministic)', color: '#2563eb' },
];
const PROBE: LineSpec[] = [
  { key: 'estimate', name: 'estimate (target’s Q)', color: '#dc2626' },
  { key: 'estimateQ1', name: 'Q1', color: '#f59e0b', dashed: true },
  { key: 'trueValue', name: 'true value (Monte Carlo)', color: '#059669' },
];
const BIAS: LineSpec[] = [
  { key: 'bias', name: 'bias of the estimate', color: '#dc2626' },
  { key: 'biasQ1', name: 'bias of Q1', color: '#f59e0b', dashed: true },
];
const EVAL_BAND: BandSpec = { low: 'evalLow', high: 'evalHigh', name: 'eval ± std', color: '#2563eb' };
const BIAS_BAND: BandSpec = {
  low: 'biasLow',
  high: 'biasHigh',
  name: '95 % interval over the pairs',
  color: '#dc2626',
};
const LOSSES: LineSpec[] = [
  { key: 'criticLoss', name: 'critic loss', color: '#7c3aed', smooth: true },
  { key: 'actorLoss', name: 'actor loss (−Q1)', color: '#0891b2', smooth: true },
];
const QS: LineSpec[] = [
  { key: 'q1', name: 'mean Q1', color: '#f59e0b', smooth: true },
  { key: 'q2', name: 'mean Q2', color: '#d97706', smooth: true, dashed: true },
  { key: 'targetQ', name: 'mean target y', color: '#6b7280', smooth: true },
];
const SPEED: LineSpec[] = [
  { key: 'envStepsPerSec', name: 'env steps/s', color: '#2563eb' },
  { key: 'updatesPerSec', name: 'updates/s', color: '#7c3aed' },
];

/**
 * What the probe costs and how precise it is: the rollouts are env steps the agent does not learn from, and
 * the bias of a few pairs is a noisy number.
 */
function ProbeCost() {
  const probe = usePlayground((s) => s.lastProbe);
  const config = usePlayground((s) => s.status?.config ?? s.draft);
  if (config.probePairs === 0) return <p className="probe-cost">The probe is off (0 pairs).</p>;
  const every = `every ${config.probeEvery.toLocaleString('en-US')} training steps`;
  if (!probe)
    return (
      <p className="probe-cost" data-testid="probe-cost">
        Each probe rolls out {config.probePairs} buffer pairs, {every}.
      </p>
    );
  const perStep = probe.envSteps / config.probeEvery;
  const interval = Number.isFinite(probe.biasStdError)
    ? `bias ${formatValue(probe.bias)} ± ${formatValue(1.96 * probe.biasStdError)} (95 %, ${probe.pairs} pairs)`
    : `bias ${formatValue(probe.bias)} (${probe.pairs} pair: no interval)`;
  return (
    <p className="probe-cost" data-testid="probe-cost">
      Last probe at step {probe.step.toLocaleString('en-US')}: {interval}. Each probe costs{' '}
      {probe.envSteps.toLocaleString('en-US')} simulated steps ({probe.pairs} rollouts of up to{' '}
      {probe.horizon} steps), {every}: {perStep.toFixed(1)} extra steps per training step, none of them
      learned from.
    </p>
  );
}

export function Charts() {
  return (
    <div className="charts">
      <Chart title="Return" lines={RETURN} band={EVAL_BAND} phase={0} />
      <Chart title="Q estimate vs true value" lines={PROBE} phase={1} probe>
        the paper’s Figure 1, live
      </Chart>
      <Chart title="Overestimation bias" lines={BIAS} band={BIAS_BAND} phase={2} probe footer={<ProbeCost />}>
        estimate − true value
      </Chart>
      <Chart title="Losses" lines={LOSSES} phase={3} />
      <Chart title="Q values" lines={QS} phase={4} />
      <Chart title="Speed" lines={SPEED} phase={5} />
    </div>
  );
}
