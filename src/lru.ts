/**
 * String-keyed entries kept in order of use, which forget the least recently used beyond
 * `maxEntries`. The gateway's caches (signers, sync sessions) and its MCP session registry read
 * one on nearly every call.
 *
 * A Map finds an entry; a linked list through the entries keeps the order. Using an entry relinks
 * it at the newest end: a few field writes, no allocation, and the Map is left alone. The simpler
 * way, deleting and re-inserting the key, makes V8 rebuild a Map's table every few uses, and once
 * a long-lived Map's table is in the old generation every rebuilt one is too: under steady calls
 * that garbage alone brought mark-compacts (see README, Performance).
 */
export interface Lru<V> {
  /** The value, marked as most recently used. */
  get(key: string): V | undefined;
  /** The value, its place in the order left as it is. */
  peek(key: string): V | undefined;
  /** Marks the entry as most recently used, if there is one. */
  touch(key: string): void;
  /** Stores the value as most recently used, then forgets the oldest entries beyond the limit. */
  set(key: string, value: V): void;
  delete(key: string): void;
  /** The least recently used value. */
  oldest(): V | undefined;
  values(): IterableIterator<V>;
  /** The values from the least to the most recently used. */
  fromOldest(): IterableIterator<V>;
  readonly size: number;
}

interface Node<V> {
  readonly key: string;
  value: V;
  /** Toward the least recently used end. */
  older: Node<V> | undefined;
  /** Toward the most recently used end. */
  newer: Node<V> | undefined;
}

/** `onDrop` hears of every entry forgotten for lack of room (not of `delete`). */
export function createLru<V>(maxEntries: number, onDrop?: (value: V, key: string) => void): Lru<V> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('an LRU cache needs room for at least one entry');
  }
  const nodes = new Map<string, Node<V>>();
  let oldest: Node<V> | undefined;
  let newest: Node<V> | undefined;

  const unlink = (node: Node<V>) => {
    if (node.older === undefined) oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  };
  const append = (node: Node<V>) => {
    node.older = newest;
    if (newest === undefined) oldest = node;
    else newest.newer = node;
    newest = node;
  };
  const markUsed = (node: Node<V>) => {
    if (node === newest) return;
    unlink(node);
    append(node);
  };

  return {
    get(key) {
      const node = nodes.get(key);
      if (node === undefined) return undefined;
      markUsed(node);
      return node.value;
    },
    peek(key) {
      return nodes.get(key)?.value;
    },
    touch(key) {
      const node = nodes.get(key);
      if (node !== undefined) markUsed(node);
    },
    set(key, value) {
      const found = nodes.get(key);
      if (found !== undefined) {
        found.value = value;
        markUsed(found);
        return;
      }
      const node: Node<V> = { key, value, older: undefined, newer: undefined };
      nodes.set(key, node);
      append(node);
      while (nodes.size > maxEntries && oldest !== undefined) {
        const dropped = oldest;
        nodes.delete(dropped.key);
        unlink(dropped);
        onDrop?.(dropped.value, dropped.key);
      }
    },
    delete(key) {
      const node = nodes.get(key);
      if (node === undefined) return;
      nodes.delete(key);
      unlink(node);
    },
    oldest() {
      return oldest?.value;
    },
    *values() {
      for (const node of nodes.values()) yield node.value;
    },
    *fromOldest() {
      for (let node = oldest; node !== undefined; node = node.newer) yield node.value;
    },
    get size() {
      return nodes.size;
    },
  };
}
