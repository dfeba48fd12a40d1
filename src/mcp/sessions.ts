/**
 * Stateful MCP sessions (2025-era Streamable HTTP and legacy SSE): the records in a SessionStore
 * (store/) say which sessions exist and whose they are; this process keeps the live
 * part of the ones it serves (a protocol instance and its transport). A 2025-era session with a
 * record but no live part here, because another process opened it or this one dropped it, is
 * rebuilt from the record on its next request. A legacy SSE session is its stream, so it lives
 * only where that stream is.
 */
import type { GoneReason, SessionKind, SessionRecord, SessionStore } from '../store/index.ts';
import type { SessionTransport } from './session-transport.ts';
import type { SseTransport } from './sse.ts';

export type LiveSession =
  | { readonly kind: 'streamable'; readonly transport: SessionTransport }
  | { readonly kind: 'sse'; readonly transport: SseTransport };

export interface SessionRegistryOptions {
  store: SessionStore;
  /** Builds the live part of a 2025-era session from its record alone. */
  revive: (record: SessionRecord) => Promise<SessionTransport>;
  /**
   * Hears of every session with a live part here that ends other than by a request to this
   * process: idle, evicted, deleted through another replica, or shut down (logs).
   */
  onEnd?: (kind: SessionKind, reason: GoneReason | 'shutdown') => void;
}

export interface Session {
  readonly record: SessionRecord;
  readonly live: LiveSession;
}

export function createSessionRegistry({ store, revive, onEnd }: SessionRegistryOptions) {
  const live = new Map<string, LiveSession>();
  /** Rebuilds under way, so two requests at once for one session build it once. */
  const reviving = new Map<string, Promise<SessionTransport>>();

  const drop = (id: string) => {
    const session = live.get(id);
    live.delete(id);
    return session?.transport.close().catch(() => undefined) ?? Promise.resolve();
  };
  // Whichever replica ended it, the live part here goes too: a deleted session must not answer.
  const unwatch = store.onGone(({ id, reason }) => {
    const session = live.get(id);
    if (session === undefined) return;
    onEnd?.(session.kind, reason);
    void drop(id);
  });

  /** Keeps a live part, until its transport closes. */
  const track = (id: string, session: LiveSession) => {
    live.set(id, session);
    session.transport.onclose = chain(session.transport.onclose, () => {
      if (live.get(id) === session) live.delete(id);
    });
  };

  async function liveFor(record: SessionRecord): Promise<LiveSession | undefined> {
    const here = live.get(record.id);
    if (here !== undefined || record.kind === 'sse') return here;
    let building = reviving.get(record.id);
    if (building === undefined) {
      building = revive(record).finally(() => reviving.delete(record.id));
      reviving.set(record.id, building);
      track(record.id, { kind: 'streamable', transport: await building });
    } else await building;
    return live.get(record.id);
  }

  return {
    /** A new session: its record in the store, its live part here. */
    async open(record: SessionRecord, session: LiveSession): Promise<void> {
      track(record.id, session);
      try {
        await store.create(record);
      } catch (error) {
        await drop(record.id);
        throw error;
      }
    },

    /** The session if it exists and belongs to `owner`; another principal's looks absent. */
    async use(id: string, owner: string): Promise<Session | undefined> {
      const record = await store.touch(id, owner);
      if (record === undefined) return undefined;
      const session = await liveFor(record);
      return session === undefined ? undefined : { record, live: session };
    },

    /** Marks a stream of the session open until the returned function is called. */
    hold: (id: string, owner: string): (() => void) => store.hold(id, owner),

    /** Ends a session for good (DELETE, or an SSE client gone): live part and record. */
    async end(id: string): Promise<void> {
      // The live part first, so the store's news of the deletion finds nothing left to report.
      await drop(id);
      await store.delete(id);
    },

    /** Live sessions in this process. */
    count(kind?: LiveSession['kind']): number {
      if (kind === undefined) return live.size;
      let n = 0;
      for (const session of live.values()) if (session.kind === kind) n += 1;
      return n;
    },

    /**
     * Closes this process's live sessions. Their records stay: in a shared store another replica
     * serves them next. The store is its owner's to close, after this (an SSE stream that closes
     * deletes its record).
     */
    async closeAll(): Promise<void> {
      unwatch();
      const ids = Array.from(live.keys());
      for (const id of ids) {
        const session = live.get(id);
        if (session !== undefined) onEnd?.(session.kind, 'shutdown');
      }
      await Promise.all(ids.map(drop));
    },
  };
}

export type SessionRegistry = ReturnType<typeof createSessionRegistry>;

/** Runs `first`, then `then`: an `onclose` set before ours keeps working. */
export function chain(first: (() => void) | undefined, then: () => void): () => void {
  return () => {
    try {
      first?.();
    } finally {
      then();
    }
  };
}
