/**
 * Results of other tools, read as lab runs so they overlay beside the page's with the same bands:
 *
 * - Stable-Baselines3's `monitor.csv` (rl-baselines3-zoo writes one per env): a `#{"env_id": …}` line, then
 *   `r,l,t` per training episode;
 * - Stable-Baselines3's logger `progress.csv`: `time/total_timesteps` with `eval/mean_reward` (evaluations) or
 *   else `rollout/ep_rew_mean` (the mean of the last 100 training episodes);
 * - a TensorBoard scalar exported as CSV (`Wall time,Step,Value`), as CleanRL's `charts/episodic_return`.
 *
 * Training returns become episode records (the lab's "training episode return" chart), evaluations eval
 * records. Their settings are not in the files, so such a run carries only its env and the tool's name.
 */
import { DEFAULT_CONFIG } from '../rl/hyperparameters';
import type { MetricRecord } from '../train/metrics';
import type { LabRun } from './runs';

export type ForeignResult = { ok: true; run: LabRun } | { ok: false; error: string };

/** Splits one CSV line, with quoted fields ("a,b" and "" for a quote). */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells.map((x) => x.trim());
}

const MAX_ROWS = 2_000_000;

function table(text: string): { header: string[]; rows: string[][]; comment: string | null } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const comment = lines[0]?.startsWith('#') ? lines[0].slice(1) : null;
  const body = comment === null ? lines : lines.slice(1);
  return { header: splitCsvLine(body[0] ?? ''), rows: body.slice(1).map(splitCsvLine), comment };
}

/** The seed in a file name: CleanRL's `ENV__EXP__SEED__TIME`, or `seed3` / `seed_3`; 0 when none is given. */
function seedFromName(name: string): number {
  const match = /__(\d+)__\d+/.exec(name) ?? /seed[_-]?(\d+)/i.exec(name);
  return match ? Number(match[1]) : 0;
}

/**
 * Runs of one configuration share a label, so that several seeds' files form one variant with a band:
 * SB3's monitor files by their env (the zoo names them all `0.monitor.csv`), other files by their name
 * without the seed and time.
 */
function foreignLabel(tool: string, name: string, env: string, envFromFile: boolean): string {
  if (envFromFile) return `${tool}: ${env}`;
  const base = name
    .replace(/^.*[/\\]/, '')
    .replace(/\.csv$/i, '')
    .replace(/__\d+__\d+/, '')
    .replace(/[_-]?seed[_-]?\d+/i, '');
  return `${tool}: ${base}`;
}

function foreignRun(name: string, tool: string, label: string, env: string, records: MetricRecord[]): LabRun {
  const seed = seedFromName(name);
  const config = { ...DEFAULT_CONFIG, env, seed };
  return {
    id: name,
    variant: label,
    seed,
    config,
    records: [{ type: 'config', step: 0, config, backend: 'none', foreign: tool }, ...records],
    state: 'done',
    step: records.at(-1)?.step ?? 0,
    wallSeconds: null,
    reason: null,
    source: 'file',
    foreign: tool,
  };
}

function numberAt(row: string[], column: number, what: string, line: number): number {
  const value = Number(row[column]);
  if (row[column] === undefined || row[column] === '' || !Number.isFinite(value))
    throw new Error(`row ${line}: ${what} "${row[column] ?? ''}" is not a number`);
  return value;
}

/** Reads a CSV of Stable-Baselines3 or TensorBoard; anything else is refused with what was expected. */
export function parseForeignCsv(name: string, text: string, env: string): ForeignResult {
  const fail = (error: string): ForeignResult => ({ ok: false, error: `${name}: ${error}` });
  if (text.length > 64 * 1024 * 1024) return fail('larger than 64 MB');
  const { header, rows, comment } = table(text);
  if (rows.length > MAX_ROWS) return fail(`more than ${MAX_ROWS} rows`);
  if (!rows.length) return fail('no rows');
  const column = (key: string) => header.indexOf(key);
  try {
    // SB3 monitor: r (return), l (length), t (wall time) per training episode.
    if (column('r') >= 0 && column('l') >= 0) {
      let envId = env;
      let envFromFile = false;
      if (comment) {
        try {
          const meta = JSON.parse(comment) as { env_id?: unknown };
          if (typeof meta.env_id === 'string' && meta.env_id) {
            envId = meta.env_id;
            envFromFile = true;
          }
        } catch {
          return fail('its first line starts with # but is not the JSON of a monitor file');
        }
      }
      let step = 0;
      const records: MetricRecord[] = rows.map((row, i) => {
        const length = numberAt(row, column('l'), 'episode length', i + 2);
        step += length;
        const ret = numberAt(row, column('r'), 'return', i + 2);
        return { type: 'episode', step, episode: i, return: ret, length, terminated: false };
      });
      const label = foreignLabel('SB3 monitor', name, envId, envFromFile);
      return { ok: true, run: foreignRun(name, 'SB3 monitor', label, envId, records) };
    }
    // SB3 logger.
    const steps = column('time/total_timesteps');
    if (steps >= 0) {
      const evalColumn = column('eval/mean_reward');
      const trainColumn = column('rollout/ep_rew_mean');
      if (evalColumn < 0 && trainColumn < 0)
        return fail('an SB3 progress.csv without eval/mean_reward or rollout/ep_rew_mean');
      const records: MetricRecord[] = [];
      rows.forEach((row, i) => {
        const step = numberAt(row, steps, 'time/total_timesteps', i + 2);
        const target = evalColumn >= 0 ? evalColumn : trainColumn;
        if (row[target] === undefined || row[target] === '') return; // a row logged for other keys
        const value = numberAt(row, target, header[target], i + 2);
        records.push(
          evalColumn >= 0
            ? { type: 'eval', step, mean: value, std: Number.NaN, returns: [] }
            : { type: 'episode', step, episode: i, return: value, length: 0, terminated: false },
        );
      });
      if (!records.length) return fail(`no values in ${header[evalColumn >= 0 ? evalColumn : trainColumn]}`);
      const tool = evalColumn >= 0 ? 'SB3 eval' : 'SB3 training';
      return { ok: true, run: foreignRun(name, tool, foreignLabel(tool, name, env, false), env, records) };
    }
    // TensorBoard scalar export: Wall time, Step, Value.
    if (column('Step') >= 0 && column('Value') >= 0) {
      const isEval = /eval/i.test(name);
      const records: MetricRecord[] = rows.map((row, i) => {
        const step = numberAt(row, column('Step'), 'Step', i + 2);
        const value = numberAt(row, column('Value'), 'Value', i + 2);
        return isEval
          ? { type: 'eval', step, mean: value, std: Number.NaN, returns: [] }
          : { type: 'episode', step, episode: i, return: value, length: 0, terminated: false };
      });
      const tool = isEval ? 'TensorBoard eval' : 'TensorBoard';
      return { ok: true, run: foreignRun(name, tool, foreignLabel(tool, name, env, false), env, records) };
    }
  } catch (error) {
    return fail((error as Error).message);
  }
  return fail(
    'not a CSV this lab reads: expected an SB3 monitor.csv (r,l,t), an SB3 progress.csv (time/total_timesteps) or a TensorBoard export (Wall time,Step,Value)',
  );
}
