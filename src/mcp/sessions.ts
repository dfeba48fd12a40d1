/**
 * Stateful MCP sessions (2025-era Streamable HTTP and legacy SSE): each bound to the principal
 * that opened it, evicted after an idle period or, beyond the cap, least recently used first.
 */

import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { SseTransport } from './sse.ts';

/** A session and the transport serving it; closing the transport ends its protocol instance. */
export type SessionEntry = { readonly id: string; readonly owner: string } & (
  | { readonly kind: 'streamable'; readonly transport: WebStandardStreamableHTTPServerTransport }
  | { readonly kind: 'sse'; readonly transport: SseTransport }
);

export interface SessionRegistryOptions {
  idleMs: number;
  max: number;
  now?: () => number;
  onEvict?: (entry: SessionEntry, reason: 'idle' | 'capacity' | 'shutdown') => void;
}

/** A session's place in the registry: found by id in a Map, ordered by last use in a list. */
interface Slot {
  readonly entry: SessionEntry;
  lastUsed: number;
  /** Toward the least recently used end. */
  older: Slot | undefined;
  /** Toward the most recently used end. */
  newer: Slot | undefined;
}

export function createSessionRegistry({
  idleMs,
  max,
  now = Date.now,
  onEvict,
}: SessionRegistryOptions) {
  // The Map changes only when a session comes or goes. Using a session moves its slot to the
  // newest end of the list: that writes a few fields and allocates nothing. (Re-inserting into
  // the Map on every call, as before, rebuilt its table every few calls; once a table had lived
  // through two young GCs, V8 built every later one in the old generation, whose garbage then
  // brought mark-compacts into steady traffic.)
  const sessions = new Map<string, Slot>();
  let oldest: Slot | undefined;
  let newest: Slot | undefined;

  const unlink = (slot: Slot) => {
    if (slot.older === undefined) oldest = slot.newer;
    else slot.older.newer = slot.newer;
    if (slot.newer === undefined) newest = slot.older;
    else slot.newer.older = slot.older;
    slot.older = undefined;
    slot.newer = undefined;
  };
  const append = (slot: Slot) => {
    slot.older = newest;
    if (newest === undefined) oldest = slot;
    else newest.newer = slot;
    newest = slot;
  };
  const remove = (id: string): Slot | undefined => {
    const slot = sessions.get(id);
    if (slot === undefined) return undefined;
    sessions.delete(id);
    unlink(slot);
    return slot;
  };

  const evict = (id: string, reason: 'idle' | 'capacity' | 'shutdown') => {
    const slot = remove(id);
    if (slot === undefined) return Promise.resolve();
    onEvict?.(slot.entry, reason);
    return slot.entry.transport.close().catch(() => undefined);
  };

  const sweep = () => {
    const cutoff = now() - idleMs;
    while (oldest !== undefined && oldest.lastUsed <= cutoff) void evict(oldest.entry.id, 'idle');
  };
  const timer = setInterval(sweep, Math.min(idleMs, 60_000));
  timer.unref();

  return {
    add(entry: SessionEntry): void {
      remove(entry.id);
      const slot: Slot = { entry, lastUsed: now(), older: undefined, newer: undefined };
      sessions.set(entry.id, slot);
      append(slot);
      while (sessions.size > max && oldest !== undefined) void evict(oldest.entry.id, 'capacity');
    },

    /** The session if it exists and belongs to `owner`; another principal's looks absent. */
    use(id: string, owner: string): SessionEntry | undefined {
      const slot = sessions.get(id);
      if (slot === undefined || slot.entry.owner !== owner) return undefined;
      const time = now();
      if (slot.lastUsed <= time - idleMs) {
        void evict(id, 'idle');
        return undefined;
      }
      slot.lastUsed = time;
      if (slot !== newest) {
        unlink(slot);
        append(slot);
      }
      return slot.entry;
    },

    /** Forgets a session its transport already closed. */
    forget(id: string): void {
      remove(id);
    },

    count(kind?: SessionEntry['kind']): number {
      if (kind === undefined) return sessions.size;
      let n = 0;
      for (const { entry } of sessions.values()) if (entry.kind === kind) n += 1;
      return n;
    },

    sweep,

    async closeAll(): Promise<void> {
      clearInterval(timer);
      await Promise.all([...sessions.keys()].map((id) => evict(id, 'shutdown')));
    },
  };
}

export type SessionRegistry = ReturnType<typeof createSessionRegistry>;
