/** What `cachedIn` needs of a cache: a Map or a WeakMap. */
export interface Cache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

/** The cache's entry for `key`, made by `make` and kept the first time it is asked for. */
export function cachedIn<K, V>(cache: Cache<K, V>, key: K, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    cache.set(key, value);
  }
  return value;
}
