/**
 * A run as the lab holds it: its variant, seed and configuration, and its metric records, the same records
 * `npm run train --out` writes one per line (a config record first, a summary last). So a run trained in the
 * page and a run of `npm run sweep` are the same thing, and files of either load into the lab.
 */
import { type Config, FIELDS, type FieldName, validateConfig } from '../rl/hyperparameters';
import type { EvalRecord, MetricRecord, ProbeRecord, SummaryRecord } from '../train/metrics';
import { ABLATION_VARIANTS, EXTENSION_VARIANTS, NAMED_VARIANTS, type Variant } from './variants';

/** stopped: ended early by itself (divergence, env error); cancelled: by the user. */
export type RunState = 'queued' | 'running' | 'done' | 'stopped' | 'failed' | 'cancelled';

export interface LabRun {
  /** Unique within a comparison: `${variant}-s${seed}`, or the file's name. */
  id: string;
  /** The variant's label: runs with the same one are seeds of one variant. */
  variant: string;
  seed: number;
  config: Config;
  records: MetricRecord[];
  state: RunState;
  /** Env steps taken so far (progress). */
  step: number;
  wallSeconds: number | null;
  /** Why it failed or stopped early. */
  reason: string | null;
  /** Trained in this page, or loaded from a file. */
  source: 'page' | 'file';
  /** Where it trained in this page: the backend, and how many runs trained with it as one population. */
  trainedWith?: { backend: string; together: number } | null;
  /** The tool a loaded run came from (SB3, TensorBoard), whose settings the lab does not know. */
  foreign?: string;
}

export const evalsOf = (run: LabRun): EvalRecord[] =>
  run.records.filter((r): r is EvalRecord => r.type === 'eval');
export const probesOf = (run: LabRun): ProbeRecord[] =>
  run.records.filter((r): r is ProbeRecord => r.type === 'probe');

/** The summary record of a finished run, as `npm run train` writes it. */
export function summaryOf(run: LabRun): SummaryRecord {
  const evals = evalsOf(run);
  const config = run.records.find((r) => r.type === 'config');
  return {
    type: 'summary',
    variant: run.variant,
    env: run.config.env,
    preset: 'custom',
    seed: run.seed,
    steps: run.step,
    episodes: run.records.filter((r) => r.type === 'episode').length,
    wallSeconds: run.wallSeconds ?? 0,
    backend: config?.type === 'config' ? config.backend : 'unknown',
    finalEval: evals.at(-1)?.mean ?? null,
    bestEval: evals.length ? Math.max(...evals.map((e) => e.mean)) : null,
    stoppedReason: run.state === 'stopped' ? run.reason : null,
  };
}

/** A run as JSON lines, exactly the layout of `npm run train --out`. */
export function runToJsonl(run: LabRun): string {
  const records = run.records.filter((r) => (r as { type: string }).type !== 'summary');
  return `${[...records, summaryOf(run)].map((r) => JSON.stringify(r)).join('\n')}\n`;
}

/** Files larger than this are refused before parsing (a 1M-step run's records take a few MB). */
export const MAX_RUN_FILE_BYTES = 64 * 1024 * 1024;

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks the fields the lab reads from each record type; other types pass through untouched. */
function recordProblem(r: Record<string, unknown>): string | null {
  if (typeof r.type !== 'string') return 'a record without a "type"';
  if (r.type === 'summary') return null;
  if (!isFiniteNumber(r.step) || r.step < 0) return `a ${r.type} record without a valid "step"`;
  if (r.type === 'eval') {
    // Other tools' evaluations may come without a std (null once written as JSON).
    if (!isFiniteNumber(r.mean) || (r.std !== null && typeof r.std !== 'number'))
      return 'an eval record without a finite mean';
    if (r.std === null) r.std = Number.NaN;
  } else if (r.type === 'probe') {
    for (const key of ['estimate', 'estimateQ1', 'trueValue', 'bias', 'biasQ1'])
      if (typeof r[key] !== 'number') return `a probe record without "${key}"`;
    // Files written before the probe reported its standard error and cost have neither (NaN is null in JSON).
    for (const key of ['biasStdError', 'envSteps'])
      if (r[key] === undefined || r[key] === null) r[key] = Number.NaN;
      else if (typeof r[key] !== 'number') return `a probe record whose "${key}" is not a number`;
  } else if (r.type === 'episode') {
    if (typeof r.return !== 'number') return 'an episode record without "return"';
  }
  return null;
}

/**
 * Reads one run from the JSON lines of `npm run train --out` (or of this lab's export). Every line is
 * checked; a malformed file is refused with the line and the reason, never half loaded.
 */
export function parseRunJsonl(
  name: string,
  text: string,
): { ok: true; run: LabRun } | { ok: false; error: string } {
  const fail = (error: string) => ({ ok: false as const, error: `${name}: ${error}` });
  if (text.length > MAX_RUN_FILE_BYTES) return fail('larger than 64 MB');
  const records: MetricRecord[] = [];
  let summary: SummaryRecord | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return fail(`line ${i + 1} is not JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return fail(`line ${i + 1} is not a record`);
    const problem = recordProblem(value as Record<string, unknown>);
    if (problem) return fail(`line ${i + 1}: ${problem}`);
    if ((value as { type: string }).type === 'summary') summary = value as SummaryRecord;
    else records.push(value as MetricRecord);
  }
  const first = records[0];
  if (first?.type !== 'config')
    return fail('no config record first: not a run of npm run train or of the lab');
  const checked = validateConfig(first.config);
  if (!checked.ok) return fail(`its configuration is invalid: ${checked.errors[0]}`);
  const config = checked.config;
  const stopped = records.find((r) => r.type === 'stopped');
  return {
    ok: true,
    run: {
      id: name,
      variant: summary?.variant ?? variantFromFileName(name) ?? variantFromTricks(config),
      seed: config.seed,
      config,
      records,
      state: stopped ? 'stopped' : 'done',
      step: summary?.steps ?? Math.max(0, ...records.map((r) => r.step)),
      wallSeconds: summary?.wallSeconds ?? null,
      reason: stopped?.type === 'stopped' ? stopped.reason : null,
      source: 'file',
      ...(typeof first.foreign === 'string' ? { foreign: first.foreign } : {}),
    },
  };
}

/** `runs/sweep/no-twin-s3.jsonl` → the label of "no-twin". */
function variantFromFileName(name: string): string | null {
  const match = /(?:^|[/\\])([^/\\]+)-s\d+\.jsonl$/.exec(name);
  if (!match) return null;
  const known = NAMED_VARIANTS[match[1]];
  return known ? known.label : match[1];
}

/** The settings the extension variants change beyond the three tricks. */
const EXTENSION_FIELDS = [
  ...new Set(Object.values(EXTENSION_VARIANTS).flatMap((v) => Object.keys(v.options) as FieldName[])),
];

/** Whether a configuration's three switches are a variant's (any delay above 1 counts as delayed). */
const sameTricks = (config: Config, o: Partial<Config>) =>
  config.twinCritics === o.twinCritics &&
  config.policyDelay > 1 === (o.policyDelay ?? 1) > 1 &&
  config.targetSmoothing === o.targetSmoothing;

/**
 * A run without a variant name: named after the extension it uses and its three switches, or after an
 * ablation row when it uses none; "custom" when it is none of them.
 */
function variantFromTricks(config: Config): string {
  const beyond = EXTENSION_FIELDS.filter((k) => config[k] !== FIELDS[k].default);
  const candidates: Variant[] = beyond.length
    ? Object.values(EXTENSION_VARIANTS).filter(
        (v) =>
          beyond.every((k) => k in v.options) &&
          Object.entries(v.options).every(([k, x]) => config[k as FieldName] === x),
      )
    : Object.values(ABLATION_VARIANTS);
  return candidates.find((v) => sameTricks(config, v.overrides))?.label ?? 'custom';
}
