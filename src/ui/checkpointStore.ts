/**
 * The playground's checkpoints, kept in the browser (IndexedDB) as the text of checkpoint files. Every one
 * saved by hand stays until deleted; of the automatic ones the newest few are kept, so the last good one is
 * always there and the database does not grow without end.
 */
import { transact } from './localDatabase';

/** Automatic checkpoints kept per environment. */
const AUTO_KEPT = 3;

export interface CheckpointInfo {
  key: number;
  savedAt: number;
  envId: string;
  step: number;
  reason: 'manual' | 'auto';
  /** Whether the replay buffer is in it; false: resuming refills the buffer from then on. */
  buffer: boolean;
  /** Size of the file, in characters (bytes: it is ASCII). */
  size: number;
}

export async function storeCheckpoint(
  entry: Omit<CheckpointInfo, 'key' | 'size' | 'savedAt'> & { text: string },
): Promise<void> {
  const { text, ...rest } = entry;
  const info: Omit<CheckpointInfo, 'key'> = { ...rest, size: text.length, savedAt: Date.now() };
  const key = (await transact('checkpoints', 'readwrite', (store) => store.add(info))) as number;
  await transact('checkpointTexts', 'readwrite', (store) => store.put({ key, text }));
  if (entry.reason !== 'auto') return;
  const autos = (await listCheckpoints()).filter((c) => c.reason === 'auto' && c.envId === entry.envId);
  for (const old of autos.slice(AUTO_KEPT)) await deleteCheckpoint(old.key);
}

/** Newest first, without their texts. */
export async function listCheckpoints(): Promise<CheckpointInfo[]> {
  const all = (await transact('checkpoints', 'readonly', (store) => store.getAll())) as CheckpointInfo[];
  return all.sort((a, b) => b.savedAt - a.savedAt || b.step - a.step);
}

export async function loadCheckpointText(key: number): Promise<string> {
  const entry = (await transact('checkpointTexts', 'readonly', (store) => store.get(key))) as
    | { text: string }
    | undefined;
  if (!entry) throw new Error(`checkpoint ${key} is gone`);
  return entry.text;
}

export async function deleteCheckpoint(key: number): Promise<void> {
  await transact('checkpoints', 'readwrite', (store) => store.delete(key));
  await transact('checkpointTexts', 'readwrite', (store) => store.delete(key));
}
