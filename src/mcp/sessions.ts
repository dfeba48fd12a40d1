/**
 * Stateful MCP sessions (2025-era Streamable HTTP and legacy SSE): each bound to the principal
 * that opened it, evicted after an idle period or, beyond the cap, least recently used first.
 * A principal that already holds `maxPerOwner` sessions loses its own least recently used one
 * when it opens another, so no single caller can push everyone else's sessions out.
 */

import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { createLru } from '../lru.ts';
import type { SseTransport } from './sse.ts';

/** A session and the transport serving it; closing the transport ends its protocol instance. */
export type SessionEntry = { readonly id: string; readonly owner: string } & (
  | { readonly kind: 'streamable'; readonly transport: WebStandardStreamableHTTPServerTransport }
  | { readonly kind: 'sse'; readonly transport: SseTransport }
);

export interface SessionRegistryOptions {
  idleMs: number;
  max: number;
  /** Sessions one principal may hold (default: `max`). */
  maxPerOwner?: number;
  now?: () => number;
  onEvict?: (entry: SessionEntry, reason: 'idle' | 'capacity' | 'shutdown') => void;
}

interface Slot {
  readonly entry: SessionEntry;
  lastUsed: number;
  /** Open streams (a legacy SSE session's own, GET /mcp): a connected client is not idle. */
  streams: number;
}

export function createSessionRegistry({
  idleMs,
  max,
  maxPerOwner = max,
  now = Date.now,
  onEvict,
}: SessionRegistryOptions) {
  /** Sessions per owner; changes only when a session comes or goes, never per call. */
  const owned = new Map<string, number>();
  const gone = (entry: SessionEntry) => {
    const left = (owned.get(entry.owner) ?? 1) - 1;
    if (left === 0) owned.delete(entry.owner);
    else owned.set(entry.owner, left);
  };
  const close = (slot: Slot, reason: 'idle' | 'capacity' | 'shutdown') => {
    onEvict?.(slot.entry, reason);
    return slot.entry.transport.close().catch(() => undefined);
  };
  // Ordered by last use; beyond the cap the least recently used session goes.
  const sessions = createLru<Slot>(max, (slot) => {
    gone(slot.entry);
    void close(slot, 'capacity');
  });

  const remove = (id: string): Slot | undefined => {
    const slot = sessions.peek(id);
    if (slot === undefined) return undefined;
    sessions.delete(id);
    gone(slot.entry);
    return slot;
  };

  const evict = (id: string, reason: 'idle' | 'capacity' | 'shutdown') => {
    const slot = remove(id);
    return slot === undefined ? Promise.resolve() : close(slot, reason);
  };

  /** Makes room for one more session of `owner` within its own cap. */
  const roomFor = (owner: string) => {
    let excess = (owned.get(owner) ?? 0) - maxPerOwner + 1;
    if (excess <= 0) return;
    const victims: string[] = [];
    for (const slot of sessions.fromOldest()) {
      if (slot.entry.owner !== owner) continue;
      victims.push(slot.entry.id);
      excess -= 1;
      if (excess === 0) break;
    }
    for (const id of victims) void evict(id, 'capacity');
  };

  const sweep = () => {
    const time = now();
    const cutoff = time - idleMs;
    let slot = sessions.oldest();
    while (slot !== undefined && slot.lastUsed <= cutoff) {
      if (slot.streams > 0) {
        // Still connected: counts as used now (and moves out of the way of the sweep).
        slot.lastUsed = time;
        sessions.touch(slot.entry.id);
      } else {
        void evict(slot.entry.id, 'idle');
      }
      slot = sessions.oldest();
    }
  };
  const timer = setInterval(sweep, Math.min(idleMs, 60_000));
  timer.unref();

  return {
    add(entry: SessionEntry): void {
      if (sessions.peek(entry.id) !== undefined) remove(entry.id);
      roomFor(entry.owner);
      owned.set(entry.owner, (owned.get(entry.owner) ?? 0) + 1);
      sessions.set(entry.id, { entry, lastUsed: now(), streams: 0 });
    },

    /**
     * Marks a stream of the session open (GET /mcp) until the returned function is called: a
     * client listening on it is connected, not idle, however long it makes no request.
     */
    streaming(id: string): () => void {
      const slot = sessions.peek(id);
      if (slot === undefined) return () => undefined;
      slot.streams += 1;
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        slot.streams -= 1;
        // The stream's end is its last use; the order of use must agree, or the sweep stops early.
        slot.lastUsed = now();
        if (sessions.peek(id) === slot) sessions.touch(id);
      };
    },

    /** The session if it exists and belongs to `owner`; another principal's looks absent. */
    use(id: string, owner: string): SessionEntry | undefined {
      const slot = sessions.peek(id);
      if (slot === undefined || slot.entry.owner !== owner) return undefined;
      const time = now();
      if (slot.streams === 0 && slot.lastUsed <= time - idleMs) {
        void evict(id, 'idle');
        return undefined;
      }
      slot.lastUsed = time;
      sessions.touch(id);
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
      const ids = Array.from(sessions.values(), (slot) => slot.entry.id);
      await Promise.all(ids.map((id) => evict(id, 'shutdown')));
    },
  };
}

export type SessionRegistry = ReturnType<typeof createSessionRegistry>;
