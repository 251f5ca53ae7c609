/**
 * The page's state (zustand): the configuration being edited, what the worker last reported, the metric
 * series, the latest frames and the notices. Components read from here; only `trainingClient` writes
 * what the worker says.
 */
import { create } from 'zustand';
import type { Config } from '../rl/hyperparameters';
import { configFromPreset, type PresetName } from '../rl/presets';
import type { MetricRecord, ProbeRecord } from '../train/metrics';
import type { FrameEvent, LandscapeEvent, NoticeEvent, StatusEvent } from '../worker/protocol';
import type { CheckpointInfo } from './checkpointStore';
import type { Point } from './series';

export const SERIES_KEYS = [
  'episodeReturn',
  'evalMean',
  'evalLow',
  'evalHigh',
  'estimate',
  'estimateQ1',
  'trueValue',
  'bias',
  'biasLow',
  'biasHigh',
  'biasQ1',
  'criticLoss',
  'actorLoss',
  'q1',
  'q2',
  'targetQ',
  'envStepsPerSec',
  'updatesPerSec',
] as const;
export type SeriesKey = (typeof SERIES_KEYS)[number];
export type SeriesSet = Record<SeriesKey, Point[]>;

const emptySeries = (): SeriesSet =>
  Object.fromEntries(SERIES_KEYS.map((key) => [key, [] as Point[]])) as unknown as SeriesSet;

export interface Notice extends NoticeEvent {
  id: number;
}

export interface PlaygroundState {
  /** The configuration in the controls (what Start or Restart will use). */
  draft: Config;
  preset: PresetName | 'custom';
  status: StatusEvent | null;
  series: SeriesSet;
  /** Bumped when series change, so charts re-render without deep comparisons. */
  seriesVersion: number;
  frame: FrameEvent | null;
  watchFrame: FrameEvent | null;
  landscape: LandscapeEvent | null;
  notices: Notice[];
  /** Why the overestimation probe cannot run on this env, or null. */
  probeUnavailable: string | null;
  /** The newest probe of this run: its cost and standard error are shown beside the charts. */
  lastProbe: ProbeRecord | null;
  smoothing: number;
  watching: boolean;
  /** The tfjs backend asked for (`?backend=` or the select); undefined = choose by measurement. */
  backendRequest: string | undefined;
  /** Checkpoints kept in this browser, newest first. */
  checkpoints: CheckpointInfo[];
  /** Env steps between automatic checkpoints; null = none. */
  autoCheckpointEvery: number | null;
  /** Whether checkpoints hold the replay buffer (exact continuation) or leave it out (far smaller). */
  checkpointBuffer: boolean;
  /** The training worker stopped answering (crashed or killed): the page offers the last checkpoint. */
  workerLost: boolean;

  setField: <K extends keyof Config>(name: K, value: Config[K]) => void;
  setDraft: (config: Config, preset: PresetName | 'custom') => void;
  applyPreset: (preset: PresetName) => void;
  addRecords: (records: MetricRecord[]) => void;
  clearSeries: () => void;
  notify: (notice: NoticeEvent) => void;
  dismiss: (id: number) => void;
}

let noticeId = 0;

export const usePlayground = create<PlaygroundState>((set, get) => ({
  draft: configFromPreset('quick'),
  preset: 'quick',
  status: null,
  series: emptySeries(),
  seriesVersion: 0,
  frame: null,
  watchFrame: null,
  landscape: null,
  notices: [],
  probeUnavailable: null,
  lastProbe: null,
  smoothing: 0.6,
  watching: false,
  backendRequest: undefined,
  checkpoints: [],
  autoCheckpointEvery: 10_000,
  checkpointBuffer: true,
  workerLost: false,

  // The seed and the env are not part of a preset: changing them keeps the preset's name.
  setField: (name, value) =>
    set((s) => ({
      draft: { ...s.draft, [name]: value },
      preset: name === 'seed' || name === 'env' ? s.preset : 'custom',
    })),
  setDraft: (config, preset) => set({ draft: config, preset }),
  applyPreset: (preset) => {
    const { draft } = get();
    try {
      set({ draft: configFromPreset(preset, { env: draft.env, seed: draft.seed }), preset });
    } catch (error) {
      get().notify({ type: 'notice', level: 'warning', message: (error as Error).message });
    }
  },
  addRecords: (records) =>
    set((s) => {
      const series = s.series;
      for (const r of records) appendRecord(series, r);
      const unavailable = records.find((r) => r.type === 'probeUnavailable');
      const probe = records.filter((r): r is ProbeRecord => r.type === 'probe').pop();
      return {
        seriesVersion: s.seriesVersion + 1,
        ...(unavailable?.type === 'probeUnavailable' ? { probeUnavailable: unavailable.reason } : {}),
        ...(probe ? { lastProbe: probe } : {}),
      };
    }),
  clearSeries: () =>
    set((s) => ({
      series: emptySeries(),
      seriesVersion: s.seriesVersion + 1,
      landscape: null,
      probeUnavailable: null,
      lastProbe: null,
    })),
  notify: (notice) => set((s) => ({ notices: [...s.notices.slice(-4), { ...notice, id: ++noticeId }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));

/** Appends one metric record to the series it feeds. */
export function appendRecord(series: SeriesSet, r: MetricRecord): void {
  const x = r.step;
  switch (r.type) {
    case 'episode':
      series.episodeReturn.push({ x, y: r.return });
      break;
    case 'eval':
      series.evalMean.push({ x, y: r.mean });
      series.evalLow.push({ x, y: r.mean - r.std });
      series.evalHigh.push({ x, y: r.mean + r.std });
      break;
    case 'probe':
      series.estimate.push({ x, y: r.estimate });
      series.estimateQ1.push({ x, y: r.estimateQ1 });
      series.trueValue.push({ x, y: r.trueValue });
      series.bias.push({ x, y: r.bias });
      // The 95 % interval of the bias over the sampled pairs (normal approximation, ±1.96 standard errors).
      if (Number.isFinite(r.biasStdError)) {
        series.biasLow.push({ x, y: r.bias - 1.96 * r.biasStdError });
        series.biasHigh.push({ x, y: r.bias + 1.96 * r.biasStdError });
      }
      series.biasQ1.push({ x, y: r.biasQ1 });
      break;
    case 'update':
      series.criticLoss.push({ x, y: r.criticLoss });
      if (Number.isFinite(r.actorLoss)) series.actorLoss.push({ x, y: r.actorLoss });
      series.q1.push({ x, y: r.q1 });
      if (Number.isFinite(r.q2)) series.q2.push({ x, y: r.q2 });
      series.targetQ.push({ x, y: r.targetQ });
      break;
    case 'throughput':
      series.envStepsPerSec.push({ x, y: r.envStepsPerSec });
      series.updatesPerSec.push({ x, y: r.updatesPerSec });
      break;
    default:
      break;
  }
}
