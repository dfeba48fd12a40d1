import { createLru } from '../lru.ts';

/** A sync session as the gateway keeps it (CONTRACT.md B.4). */
export interface SyncSession {
  readonly id: string;
  readonly epoch: number;
  /** When the backend forgets it, on this process's clock. */
  readonly expiresAtMs: number;
}

export interface SessionCacheOptions {
  readonly now: () => number;
  /** A cached session is not handed out within this long of its expiry. */
  readonly refreshMarginMs: number;
  readonly maxEntries: number;
}

/** Opens a session; `signal` fires when every call waiting for it has given up. */
export type OpenSession = (signal: AbortSignal) => Promise<SyncSession>;

export interface SessionCache {
  /**
   * A usable session for `key`: the cached one, the one another call is already opening, or a
   * new one from `open`. Rejects as soon as `signal` aborts. A failed `open` is not remembered,
   * so the next call tries again.
   */
  acquire(key: string, open: OpenSession, signal: AbortSignal): Promise<SyncSession>;
  /**
   * Forgets `rejected` if it is still the cached session for `key`. A concurrent call may have
   * replaced it already; that newer session is kept.
   */
  invalidate(key: string, rejected: SyncSession): void;
  /** Whether a session is cached for `key`, usable or about to expire (for DEBUG lines). */
  has(key: string): boolean;
  readonly size: number;
}

interface Opening {
  readonly promise: Promise<SyncSession>;
  readonly controller: AbortController;
  waiters: number;
}

const waitAborted = (): DOMException => new DOMException('stopped waiting', 'AbortError');

/**
 * Sessions per backend identity instead of one extra POST per call (CONTRACT.md trap 1), with an
 * LRU bound. Creation is single-flight: concurrent calls share one POST, which is aborted only
 * when the last of them gives up (one cancelled call must not fail the others).
 */
export function createSessionCache(options: SessionCacheOptions): SessionCache {
  const live = createLru<SyncSession>(options.maxEntries);
  const opening = new Map<string, Opening>();

  function start(key: string, open: OpenSession): Opening {
    const controller = new AbortController();
    // Only this creation's own entry is removed: an abandoned one may have been replaced already.
    const forget = () => {
      if (opening.get(key) === entry) opening.delete(key);
    };
    const promise = open(controller.signal).then(
      (session) => {
        forget();
        live.set(key, session);
        return session;
      },
      (error: unknown) => {
        forget();
        throw error;
      },
    );
    const entry: Opening = { promise, controller, waiters: 0 };
    opening.set(key, entry);
    return entry;
  }

  function wait(key: string, entry: Opening, signal: AbortSignal): Promise<SyncSession> {
    entry.waiters += 1;
    return new Promise<SyncSession>((resolve, reject) => {
      const onAbort = (): void => {
        entry.waiters -= 1;
        if (entry.waiters === 0) {
          // Abandoned: a call arriving before the aborted POST settles starts a creation of its
          // own instead of joining this one and failing with it.
          if (opening.get(key) === entry) opening.delete(key);
          entry.controller.abort(waitAborted());
        }
        reject(waitAborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (session) => {
          signal.removeEventListener('abort', onAbort);
          resolve(session);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  return {
    acquire(key, open, signal) {
      if (signal.aborted) return Promise.reject(waitAborted());
      const cached = live.get(key);
      if (cached !== undefined) {
        if (options.now() < cached.expiresAtMs - options.refreshMarginMs) {
          return Promise.resolve(cached);
        }
        live.delete(key);
      }
      return wait(key, opening.get(key) ?? start(key, open), signal);
    },
    invalidate(key, rejected) {
      if (live.get(key)?.id === rejected.id) live.delete(key);
    },
    has: (key) => live.peek(key) !== undefined,
    get size() {
      return live.size;
    },
  };
}
