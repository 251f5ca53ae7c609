/**
 * Exports of a comparison: every run's curves as CSV (one row per run, step and quantity: the "long" layout
 * that pandas, R and spreadsheets pivot as they like), the bands as CSV, and everything as one JSON file that
 * loads back into the lab.
 */
import { variantBands } from './aggregate';
import { type LabRun, parseRunJsonl, runToJsonl } from './runs';

/** A CSV cell: quoted where needed; text that a spreadsheet would run as a formula is defused. */
function cell(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
const row = (values: (string | number)[]) => values.map(cell).join(',');

/** Every run's curves: variant, seed, step, quantity, value. */
export function curvesCsv(runs: readonly LabRun[]): string {
  const lines = [row(['variant', 'seed', 'env', 'step', 'quantity', 'value'])];
  for (const run of runs) {
    const base = [run.variant, run.seed, run.config.env];
    for (const r of run.records) {
      if (r.type === 'eval') {
        lines.push(row([...base, r.step, 'eval_return_mean', r.mean]));
        lines.push(row([...base, r.step, 'eval_return_std', r.std]));
      } else if (r.type === 'episode') {
        lines.push(row([...base, r.step, 'train_episode_return', r.return]));
      } else if (r.type === 'probe') {
        lines.push(row([...base, r.step, 'q_estimate', r.estimate]));
        lines.push(row([...base, r.step, 'q_true_value', r.trueValue]));
        lines.push(row([...base, r.step, 'overestimation_bias', r.bias]));
      } else if (r.type === 'update') {
        lines.push(row([...base, r.step, 'critic_loss', r.criticLoss]));
        if (Number.isFinite(r.actorLoss)) lines.push(row([...base, r.step, 'actor_loss', r.actorLoss]));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The bands the charts draw: per variant and quantity, the mean over seeds and its 95 % interval. */
export function bandsCsv(runs: readonly LabRun[]): string {
  const lines = [row(['variant', 'quantity', 'step', 'seeds', 'mean', 'ci95_low', 'ci95_high'])];
  for (const kind of ['eval', 'bias', 'estimate', 'trueValue'] as const) {
    for (const [variant, points] of variantBands(runs, kind)) {
      for (const p of points) lines.push(row([variant, kind, p.step, p.n, p.mean, p.low, p.high]));
    }
  }
  return `${lines.join('\n')}\n`;
}

export const LAB_FILE_FORMAT = 'td3-playground-lab';

/** The whole comparison as one file: each run as the JSON lines `npm run train --out` writes. */
export function labJson(runs: readonly LabRun[]): string {
  return JSON.stringify(
    {
      format: LAB_FILE_FORMAT,
      version: 1,
      runs: runs.map((r) => ({ name: r.id, jsonl: runToJsonl(r) })),
    },
    null,
    1,
  );
}

/** Reads a file of `labJson`; every run is checked as a run file is, and one bad run refuses the file. */
export function parseLabJson(text: string): { ok: true; runs: LabRun[] } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const file = value as { format?: unknown; version?: unknown; runs?: unknown };
  if (typeof file !== 'object' || file === null || file.format !== LAB_FILE_FORMAT)
    return { ok: false, error: `not a ${LAB_FILE_FORMAT} file` };
  if (file.version !== 1) return { ok: false, error: `version ${String(file.version)} is not known (1 is)` };
  if (!Array.isArray(file.runs)) return { ok: false, error: 'no list of runs' };
  const runs: LabRun[] = [];
  for (const [i, entry] of file.runs.entries()) {
    const e = entry as { name?: unknown; jsonl?: unknown };
    if (typeof e?.name !== 'string' || typeof e.jsonl !== 'string')
      return { ok: false, error: `run ${i + 1} has no name and records` };
    const parsed = parseRunJsonl(e.name, e.jsonl);
    if (!parsed.ok) return parsed;
    runs.push(parsed.run);
  }
  return { ok: true, runs };
}
