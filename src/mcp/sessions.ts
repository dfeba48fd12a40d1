/**
 * Stateful MCP sessions (2025-era Streamable HTTP and legacy SSE): the records in a SessionStore
 * (store/) say which sessions exist and whose they are; this process keeps the live
 * part of the ones it serves (a protocol instance and its transport). A 2025-era session with a
 * record but no live part here, because another process opened it or this one dropped it, is
 * rebuilt from the record on its next request. A legacy SSE session is its stream, so it lives
 * only where that stream is (its record's `holder`): messages POSTed to another replica reach it
 * through the relay.
 */
import {
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResponse,
  type JSONRPCMessage,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import type {
  GoneReason,
  Relay,
  SessionKind,
  SessionRecord,
  SessionStore,
} from '../store/index.ts';
import type { SessionTransport } from './session-transport.ts';
import type { SseTransport } from './sse.ts';
import { safeJson } from '../json.ts';

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
  onEnd?: (kind: SessionKind, reason: EndReason) => void;
  /** Carries SSE messages between replicas; without one, every stream is this process's. */
  relay?: Relay | undefined;
  /** This replica's name: the `holder` of the SSE streams it serves, and its relay address. */
  replica?: string;
  /** Counts each message handed to the relay or taken from it, by outcome (metrics). */
  onRelay?: (outcome: RelayOutcome) => void;
}

/**
 * `missed`: the session ended while this replica could not hear the news (its subscription to
 * the store was down), found out when it came back.
 */
export type EndReason = GoneReason | 'shutdown' | 'missed';

/**
 * Sent: a replica holding the stream took it. `no_holder`: no replica listens for that stream's
 * holder (it is gone), so the POST is answered 404. `dropped`: this replica got a message for a
 * stream it no longer has (it closed while the message travelled).
 */
export type RelayOutcome = 'sent' | 'no_holder' | 'dropped';

export interface Session {
  readonly record: SessionRecord;
  /** Undefined for an SSE session whose stream another replica holds. */
  readonly live: LiveSession | undefined;
}

export const isMessage = (value: unknown): value is JSONRPCMessage =>
  isJSONRPCRequest(value) || isJSONRPCNotification(value) || isJSONRPCResponse(value);

/** What one replica relays to another: a message for one of the SSE sessions it holds. */
const Relayed = z.object({ id: z.string(), message: z.custom<JSONRPCMessage>(isMessage) });
type Relayed = z.output<typeof Relayed>;

export function createSessionRegistry(options: SessionRegistryOptions) {
  const { store, revive, onEnd, relay, replica, onRelay } = options;
  const live = new Map<string, { session: LiveSession; owner: string }>();
  /** Rebuilds under way, so two requests at once for one session build it once. */
  const reviving = new Map<string, Promise<SessionTransport>>();
  /** Sessions tracked here whose record is still being created. */
  const opening = new Set<string>();

  const drop = (id: string) => {
    const entry = live.get(id);
    live.delete(id);
    return entry?.session.transport.close().catch(() => undefined) ?? Promise.resolve();
  };
  const ended = (id: string, reason: EndReason) => {
    const entry = live.get(id);
    if (entry === undefined) return;
    onEnd?.(entry.session.kind, reason);
    void drop(id);
  };
  // Whichever replica ended it, the live part here goes too: a deleted session must not answer.
  const unwatch = store.onGone(({ id, reason }) => {
    ended(id, reason);
  });
  // News sent while this replica could not hear is lost: ask the store about each live session.
  const unmissed = store.onMissedNews(() => {
    for (const [id, { owner }] of live) {
      if (opening.has(id)) continue;
      store.get(id, owner).then(
        (record) => {
          if (record === undefined) ended(id, 'missed');
        },
        // Unreachable again: the next reconnect asks again.
        () => undefined,
      );
    }
  });

  // SSE messages POSTed to other replicas for the streams held here.
  const receive = (text: string) => {
    // Only replicas publish here; anything else is not acted on.
    const relayed = Relayed.safeParse(safeJson(text));
    const entry = relayed.success ? live.get(relayed.data.id) : undefined;
    if (!relayed.success || entry?.session.kind !== 'sse') {
      onRelay?.('dropped');
      return;
    }
    entry.session.transport.deliver(relayed.data.message);
  };
  const subscription =
    relay === undefined || replica === undefined ? undefined : relay.subscribe(replica, receive);
  // Awaited at close; a failure before then is the connection's to report and to retry.
  subscription?.catch(() => undefined);

  /** Keeps a live part, until its transport closes. */
  const track = (id: string, session: LiveSession, owner: string) => {
    live.set(id, { session, owner });
    session.transport.onclose = chain(session.transport.onclose, () => {
      if (live.get(id)?.session === session) live.delete(id);
    });
  };

  async function liveFor(record: SessionRecord): Promise<LiveSession | undefined> {
    const here = live.get(record.id)?.session;
    if (here !== undefined || record.kind === 'sse') return here;
    let building = reviving.get(record.id);
    if (building === undefined) {
      building = revive(record).finally(() => reviving.delete(record.id));
      reviving.set(record.id, building);
      track(record.id, { kind: 'streamable', transport: await building }, record.owner);
    } else await building;
    return live.get(record.id)?.session;
  }

  return {
    /** This replica's name, for the `holder` of the SSE sessions it opens. */
    replica,

    /** A new session: its record in the store, its live part here. */
    async open(record: SessionRecord, session: LiveSession): Promise<void> {
      track(record.id, session, record.owner);
      opening.add(record.id);
      try {
        await store.create(record);
      } catch (error) {
        await drop(record.id);
        throw error;
      } finally {
        opening.delete(record.id);
      }
    },

    /**
     * The session if it exists and belongs to `owner`; another principal's looks absent. A
     * 2025-era session always has a live part (rebuilt here if need be); an SSE session has one
     * only on the replica holding its stream.
     */
    async use(id: string, owner: string): Promise<Session | undefined> {
      const record = await store.touch(id, owner);
      if (record === undefined) return undefined;
      const session = await liveFor(record);
      if (session === undefined && record.kind !== 'sse') return undefined;
      return { record, live: session };
    },

    /**
     * Hands a message for an SSE session held by another replica to that replica. True once a
     * replica took it; false when none listens for the holder (it is gone) or it is this one.
     */
    async forward(record: SessionRecord, message: JSONRPCMessage): Promise<boolean> {
      const { holder } = record;
      if (relay === undefined || holder === undefined || holder === replica) return false;
      const relayed: Relayed = { id: record.id, message };
      const taken = (await relay.publish(holder, JSON.stringify(relayed))) > 0;
      onRelay?.(taken ? 'sent' : 'no_holder');
      return taken;
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
      for (const { session } of live.values()) if (session.kind === kind) n += 1;
      return n;
    },

    /**
     * Closes this process's live sessions. Their records stay: in a shared store another replica
     * serves them next. The store is its owner's to close, after this (an SSE stream that closes
     * deletes its record).
     */
    async closeAll(): Promise<void> {
      unwatch();
      unmissed();
      // Not awaited: with Redis down the subscription may never settle, and shutdown must not
      // wait for it (closing the connection ends it anyway).
      subscription?.then((unsubscribe) => unsubscribe()).catch(() => undefined);
      const ids = Array.from(live.keys());
      for (const id of ids) {
        const entry = live.get(id);
        if (entry !== undefined) onEnd?.(entry.session.kind, 'shutdown');
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
