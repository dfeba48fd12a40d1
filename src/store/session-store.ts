import type { SessionKind, SessionRecord } from './session-record.ts';

/**
 * The session store: where MCP session records live, in this process (`memory`) or shared by
 * every replica (`redis`). Both implementations keep the same rules, which one test suite runs
 * against each: sessions bound to their owner, an idle time that each use slides, a cap per
 * principal and a global cap (least recently used first), and ids never handed out twice.
 */

/** Why a session ended: `deleted` on request, `evicted` by a cap, `expired` after idle time. */
export type GoneReason = 'deleted' | 'evicted' | 'expired';

export interface SessionGone {
  readonly id: string;
  readonly reason: GoneReason;
}

export interface StoreLimits {
  /** A session unused this long ends (TOOLBRIDGE_SESSION_IDLE_SECONDS, in ms). */
  idleMs: number;
  /** Sessions kept at most (TOOLBRIDGE_MAX_SESSIONS). */
  max: number;
  /** Sessions one principal may hold (TOOLBRIDGE_MAX_SESSIONS_PER_PRINCIPAL). */
  maxPerOwner: number;
  /**
   * How long an ended session's id stays refused (default 24 h or the idle time, if longer).
   * Ids are random and server-made, so this only stops a stale or forged id from coming back.
   */
  tombstoneMs?: number;
}

export interface SessionStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Stores a new session as most recently used, first ending the owner's least recently used
   * one when the owner is at its cap, and the least recently used of all at the global cap.
   * Rejects with `SESSION_ID_TAKEN` for an id that is live or ended recently.
   */
  create(record: SessionRecord): Promise<SessionRecord>;
  /** The session, if it is live and `owner`'s; another owner's looks unknown. Not a use. */
  get(id: string, owner: string): Promise<SessionRecord | undefined>;
  /** As `get`, and counts as a use: the idle time starts again. */
  touch(id: string, owner: string): Promise<SessionRecord | undefined>;
  /**
   * Keeps `owner`'s session from going idle until the returned function is called: a client
   * listening on an open stream is connected however long it sends nothing. The release counts
   * as a use, so the idle time runs from the stream's end.
   */
  hold(id: string, owner: string): () => void;
  /** Ends the session; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Ends the sessions that went idle, now (a timer does it too); how many ended. */
  sweep(): Promise<number>;
  /** Live sessions, of one kind or all; for metrics. */
  count(kind?: SessionKind): Promise<number>;
  /**
   * Hears of every session that ends, wherever it ended (every replica hears of each, its own
   * included); expiry is noticed by a periodic sweep. Returns the unsubscribe function.
   */
  onGone(listener: (gone: SessionGone) => void): () => void;
  /**
   * Hears when news from `onGone` may have been missed: the shared store's subscription was lost
   * and is back, so sessions may have ended meanwhile unheard. The memory store never misses any.
   * Returns the unsubscribe function.
   */
  onMissedNews(listener: () => void): () => void;
  close(): Promise<void>;
}

/** The default tombstone time for `limits`. */
export function tombstoneMsOf(limits: StoreLimits): number {
  return limits.tombstoneMs ?? Math.max(limits.idleMs, 86_400_000);
}

/** How often a store looks for sessions that went idle: often enough that news of it is timely. */
export function sweepIntervalMs(limits: StoreLimits): number {
  return Math.max(250, Math.min(limits.idleMs / 2, 60_000));
}

/** Calls each listener, so one that throws cannot keep the others from hearing. */
export function announce(
  listeners: ReadonlySet<(gone: SessionGone) => void>,
  gone: SessionGone,
): void {
  for (const listener of listeners) {
    try {
      listener(gone);
    } catch {
      // A listener's failure is its own; the store's state is already settled.
    }
  }
}
