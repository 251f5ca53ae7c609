/**
 * The metric stream of a training session: one typed record per event, in the order they happen.
 * Names follow the quantities of the paper; `step` is always the env step count when the record was made.
 */
import type { Config } from '../rl/hyperparameters';

/** The run's configuration and where it runs, first in every stream. */
export interface ConfigRecord {
  type: 'config';
  step: 0;
  config: Config;
  backend: string;
  /** A run loaded from another tool (SB3, TensorBoard): its name; the settings are then not known. */
  foreign?: string;
}
/** One finished training episode (with exploration noise). */
export interface EpisodeRecord {
  type: 'episode';
  step: number;
  episode: number;
  return: number;
  length: number;
  /** true when the episode ended by termination, false when the time limit cut it. */
  terminated: boolean;
}
/** Deterministic evaluation: K episodes of π(s) without noise on the eval env. */
export interface EvalRecord {
  type: 'eval';
  step: number;
  mean: number;
  std: number;
  returns: number[];
}
/** Update statistics, means over one minibatch, every `logEvery` updates. */
export interface UpdateRecord {
  type: 'update';
  step: number;
  update: number;
  criticLoss: number;
  actorLoss: number;
  q1: number;
  q2: number;
  targetQ: number;
}
/** The overestimation probe (the paper's Figure 1): the critic's estimate against a Monte-Carlo true value. */
export interface ProbeRecord {
  type: 'probe';
  step: number;
  pairs: number;
  /** Mean of the value the target uses: min(Q1, Q2) with twin critics, Q1 without. */
  estimate: number;
  /** Mean Q1(s, a). */
  estimateQ1: number;
  /** Mean discounted return of taking a in s, then following π. */
  trueValue: number;
  /** estimate − trueValue. */
  bias: number;
  biasQ1: number;
  /** Standard error of `bias` over the pairs (sample std / √pairs); NaN with fewer than 2 pairs. */
  biasStdError: number;
  /** Steps each rollout ran at most (γ^horizon below the tolerance). */
  horizon: number;
  /** Env steps the rollouts took in all: the probe's cost, beside the training's own steps. */
  envSteps: number;
}
/** The probe cannot run on this env (its state cannot be restored exactly); sent once, at the start. */
export interface ProbeUnavailableRecord {
  type: 'probeUnavailable';
  step: number;
  reason: string;
}
export interface ThroughputRecord {
  type: 'throughput';
  step: number;
  envStepsPerSec: number;
  updatesPerSec: number;
}
/** Training stopped by itself: the critic diverged or the env raised an error. */
export interface StoppedRecord {
  type: 'stopped';
  step: number;
  reason: string;
  /** Present when a guard stopped the run: what went non-finite, and when. */
  divergence?: Divergence;
}

/** Where a run went non-finite: the quantity, the env step and the update count when it was caught. */
export interface Divergence {
  quantity: string;
  step: number;
  update: number;
}

/** A run's evaluations as they come, for its summary: the last one's mean return and the best. */
export class EvalOutcome {
  last: number | null = null;
  best: number | null = null;

  observe(record: MetricRecord): void {
    if (record.type !== 'eval') return;
    this.last = record.mean;
    this.best = Math.max(this.best ?? Number.NEGATIVE_INFINITY, record.mean);
  }
}

/**
 * A run's outcome, last in a run's records: written by `npm run train` (and each run of `npm run sweep`) and by
 * the ablation lab for the runs it trains in the page, so that either loads into the other.
 */
export interface SummaryRecord {
  type: 'summary';
  /** The variant the run belongs to in a comparison ("td3", "no-twin", a custom name); absent for a lone run. */
  variant?: string;
  env: string;
  preset: string;
  seed: number;
  steps: number;
  episodes: number;
  wallSeconds: number;
  backend: string;
  finalEval: number | null;
  bestEval: number | null;
  stoppedReason: string | null;
}

export type MetricRecord =
  | ConfigRecord
  | EpisodeRecord
  | EvalRecord
  | UpdateRecord
  | ProbeRecord
  | ProbeUnavailableRecord
  | ThroughputRecord
  | StoppedRecord;

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length ? sum / values.length : Number.NaN;
}

/** Population standard deviation (NumPy's default, as the paper's plots use). */
export function std(values: ArrayLike<number>): number {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] - m) ** 2;
  return values.length ? Math.sqrt(sum / values.length) : Number.NaN;
}
