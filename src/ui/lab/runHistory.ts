/**
 * Finished runs kept in the browser (IndexedDB), so a comparison survives a closed tab. Each run is stored
 * as the JSON lines `npm run train --out` writes, and read back through the same validation as a loaded
 * file: a damaged entry is reported, never half loaded.
 */
import { type LabRun, parseRunJsonl, runToJsonl } from '../../lab/runs';
import { transact } from '../localDatabase';

/** What the history lists about a run, without its records. */
export interface SavedRunInfo {
  key: number;
  savedAt: number;
  variant: string;
  seed: number;
  env: string;
  steps: number;
  finalEval: number | null;
}

interface SavedRun extends Omit<SavedRunInfo, 'key'> {
  key?: number;
  jsonl: string;
}

export async function saveRun(run: LabRun): Promise<number> {
  const evals = run.records.filter((r) => r.type === 'eval');
  const last = evals.at(-1);
  const entry: SavedRun = {
    savedAt: Date.now(),
    variant: run.variant,
    seed: run.seed,
    env: run.config.env,
    steps: run.step,
    finalEval: last?.type === 'eval' ? last.mean : null,
    jsonl: runToJsonl(run),
  };
  return (await transact('runs', 'readwrite', (store) => store.add(entry))) as number;
}

export async function listSavedRuns(): Promise<SavedRunInfo[]> {
  const all = (await transact('runs', 'readonly', (store) => store.getAll())) as SavedRun[];
  return all
    .map(({ jsonl: _records, ...info }) => info as SavedRunInfo)
    .sort((a, b) => b.savedAt - a.savedAt);
}

/** The saved run, checked as a file would be. */
export async function loadSavedRun(key: number): Promise<LabRun> {
  const entry = (await transact('runs', 'readonly', (store) => store.get(key))) as SavedRun | undefined;
  if (!entry) throw new Error(`saved run ${key} is gone`);
  const parsed = parseRunJsonl(`saved run ${key}`, entry.jsonl);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.run;
}

export async function deleteSavedRun(key: number): Promise<void> {
  await transact('runs', 'readwrite', (store) => store.delete(key));
}
