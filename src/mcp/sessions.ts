/**
 * Stateful MCP sessions (2025-era Streamable HTTP and legacy SSE): each bound to the principal
 * that opened it, evicted after an idle period or, beyond the cap, least recently used first.
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
  now?: () => number;
  onEvict?: (entry: SessionEntry, reason: 'idle' | 'capacity' | 'shutdown') => void;
}

interface Slot {
  readonly entry: SessionEntry;
  lastUsed: number;
}

export function createSessionRegistry({
  idleMs,
  max,
  now = Date.now,
  onEvict,
}: SessionRegistryOptions) {
  const close = (slot: Slot, reason: 'idle' | 'capacity' | 'shutdown') => {
    onEvict?.(slot.entry, reason);
    return slot.entry.transport.close().catch(() => undefined);
  };
  // Ordered by last use; beyond the cap the least recently used session goes.
  const sessions = createLru<Slot>(max, (slot) => void close(slot, 'capacity'));

  const evict = (id: string, reason: 'idle' | 'capacity' | 'shutdown') => {
    const slot = sessions.peek(id);
    if (slot === undefined) return Promise.resolve();
    sessions.delete(id);
    return close(slot, reason);
  };

  const sweep = () => {
    const cutoff = now() - idleMs;
    let slot = sessions.oldest();
    while (slot !== undefined && slot.lastUsed <= cutoff) {
      void evict(slot.entry.id, 'idle');
      slot = sessions.oldest();
    }
  };
  const timer = setInterval(sweep, Math.min(idleMs, 60_000));
  timer.unref();

  return {
    add(entry: SessionEntry): void {
      sessions.set(entry.id, { entry, lastUsed: now() });
    },

    /** The session if it exists and belongs to `owner`; another principal's looks absent. */
    use(id: string, owner: string): SessionEntry | undefined {
      const slot = sessions.peek(id);
      if (slot === undefined || slot.entry.owner !== owner) return undefined;
      const time = now();
      if (slot.lastUsed <= time - idleMs) {
        void evict(id, 'idle');
        return undefined;
      }
      slot.lastUsed = time;
      sessions.touch(id);
      return slot.entry;
    },

    /** Forgets a session its transport already closed. */
    forget(id: string): void {
      sessions.delete(id);
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
