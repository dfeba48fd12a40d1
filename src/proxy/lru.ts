/** A string-keyed map that forgets its least recently used entry beyond `maxEntries`. */
export interface Lru<V> {
  /** The value, marked as most recently used. */
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
  readonly size: number;
}

export function createLru<V>(maxEntries: number): Lru<V> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('an LRU cache needs room for at least one entry');
  }
  // A Map iterates in insertion order, so re-inserting on use keeps the oldest entry first.
  const entries = new Map<string, V>();
  // Re-inserting the entry that is already the newest changes nothing, so it is skipped. The
  // gateway reads one signer and one sync session per call, nearly always the newest entry; the
  // delete + set per read was about half of its old-generation growth under bench/gateway.ts
  // (144–146 kB per young GC before, 65–70 kB after, young generation fixed at 16 MB).
  let newest: string | undefined;
  return {
    get(key) {
      const value = entries.get(key);
      if (value !== undefined && key !== newest) {
        newest = key;
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key, value) {
      newest = key;
      entries.delete(key);
      entries.set(key, value);
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(oldest);
      }
    },
    delete(key) {
      if (key === newest) newest = undefined;
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
