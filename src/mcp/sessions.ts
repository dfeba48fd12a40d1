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

export function createSessionRegistry({
  idleMs,
  max,
  now = Date.now,
  onEvict,
}: SessionRegistryOptions) {
  // A Map iterates in insertion order; re-inserting on use keeps it ordered by last use.
  const sessions = new Map<string, { entry: SessionEntry; lastUsed: number }>();

  const evict = (id: string, reason: 'idle' | 'capacity' | 'shutdown') => {
    const found = sessions.get(id);
    if (found === undefined) return Promise.resolve();
    sessions.delete(id);
    onEvict?.(found.entry, reason);
    return found.entry.transport.close().catch(() => undefined);
  };

  const sweep = () => {
    const cutoff = now() - idleMs;
    for (const [id, { lastUsed }] of sessions) {
      if (lastUsed > cutoff) break;
      void evict(id, 'idle');
    }
  };
  const timer = setInterval(sweep, Math.min(idleMs, 60_000));
  timer.unref();

  return {
    add(entry: SessionEntry): void {
      sessions.set(entry.id, { entry, lastUsed: now() });
      while (sessions.size > max) {
        const oldest = sessions.keys().next().value;
        if (oldest === undefined) break;
        void evict(oldest, 'capacity');
      }
    },

    /** The session if it exists and belongs to `owner`; another principal's looks absent. */
    use(id: string, owner: string): SessionEntry | undefined {
      const found = sessions.get(id);
      if (found === undefined || found.entry.owner !== owner) return undefined;
      if (found.lastUsed <= now() - idleMs) {
        void evict(id, 'idle');
        return undefined;
      }
      sessions.delete(id);
      sessions.set(id, { entry: found.entry, lastUsed: now() });
      return found.entry;
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
      await Promise.all([...sessions.keys()].map((id) => evict(id, 'shutdown')));
    },
  };
}

export type SessionRegistry = ReturnType<typeof createSessionRegistry>;
