/**
 * The page's own database in the browser (IndexedDB): the lab's finished runs and the playground's
 * checkpoints. One place opens it, so every store is made in one upgrade.
 */
const DB_NAME = 'td3-playground';
const VERSION = 2;
/** Checkpoints' descriptions and their (large) texts apart, so listing them reads no text. */
export type StoreName = 'runs' | 'checkpoints' | 'checkpointTexts';

let opening: Promise<IDBDatabase> | null = null;

function database(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('this browser keeps no local database'));
    const request = indexedDB.open(DB_NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const name of ['runs', 'checkpoints', 'checkpointTexts'])
        if (!db.objectStoreNames.contains(name))
          db.createObjectStore(name, { keyPath: 'key', autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('the local database could not be opened'));
  });
  opening.catch(() => {
    opening = null;
  });
  return opening;
}

/** One request on one store, as a promise. */
export async function transact<T>(
  store: StoreName,
  mode: IDBTransactionMode,
  use: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await database();
  return new Promise((resolve, reject) => {
    const request = use(db.transaction(store, mode).objectStore(store));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('the local database refused the change'));
  });
}
