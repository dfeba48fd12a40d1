import { AppError } from '../errors.ts';
import { createLru } from '../lru.ts';
import { SessionRecord, type SessionKind } from './session-record.ts';
import {
  announce,
  sweepIntervalMs,
  tombstoneMsOf,
  type GoneReason,
  type SessionGone,
  type SessionStore,
  type StoreLimits,
} from './session-store.ts';

/**
 * The session store of a gateway without Redis: records in this process, under the same rules
 * as the Redis store. Expiry is judged on the injected clock, so tests need not sleep.
 */
export interface MemoryStoreOptions extends StoreLimits {
  now?: () => number;
}

export function createMemorySessionStore(options: MemoryStoreOptions): SessionStore {
  const { idleMs, max, maxPerOwner, now = Date.now } = options;
  const tombstoneMs = tombstoneMsOf(options);
  const listeners = new Set<(gone: SessionGone) => void>();
  /** Sessions per owner; changes only when a session comes or goes. */
  const owned = new Map<string, number>();
  /** Ended ids and when they may be forgotten; inserted in time order, so pruned from the front. */
  const tombstones = new Map<string, number>();

  const ended = (record: SessionRecord, reason: GoneReason) => {
    const left = (owned.get(record.owner) ?? 1) - 1;
    if (left === 0) owned.delete(record.owner);
    else owned.set(record.owner, left);
    tombstones.set(record.id, now() + tombstoneMs);
    announce(listeners, { id: record.id, reason });
  };
  // Ordered by last use; beyond the global cap the least recently used goes.
  const sessions = createLru<SessionRecord>(max, (record) => {
    ended(record, 'evicted');
  });

  /** Open streams per session (`hold`): a connected client is never idle. */
  const holds = new Map<string, number>();
  const end = (id: string, reason: GoneReason): boolean => {
    const record = sessions.peek(id);
    if (record === undefined) return false;
    sessions.delete(id);
    holds.delete(id);
    ended(record, reason);
    return true;
  };
  const stale = (record: SessionRecord, time: number) => record.lastUsedAt <= time - idleMs;
  const idle = (record: SessionRecord, time: number) =>
    stale(record, time) && !holds.has(record.id);
  const use = (record: SessionRecord, time: number) => {
    record.lastUsedAt = time;
    sessions.touch(record.id);
  };

  const sweep = () => {
    const time = now();
    let n = 0;
    for (let oldest = sessions.oldest(); oldest !== undefined && stale(oldest, time);) {
      // A held session counts as used now, which also moves it out of the sweep's way.
      if (holds.has(oldest.id)) use(oldest, time);
      else {
        end(oldest.id, 'expired');
        n += 1;
      }
      oldest = sessions.oldest();
    }
    for (const [id, until] of tombstones) {
      if (until > time) break;
      tombstones.delete(id);
    }
    return n;
  };
  const timer = setInterval(sweep, sweepIntervalMs(options));
  timer.unref();

  /** The live record of `owner`, ending it first if it has gone idle unnoticed. */
  const live = (id: string, owner: string): SessionRecord | undefined => {
    const record = sessions.peek(id);
    if (record === undefined || record.owner !== owner) return undefined;
    if (idle(record, now())) {
      end(id, 'expired');
      return undefined;
    }
    return record;
  };

  return {
    kind: 'memory',

    create(input) {
      const record = { ...SessionRecord.parse(input), lastUsedAt: now() };
      sweep();
      if (sessions.peek(record.id) !== undefined || tombstones.has(record.id)) {
        return Promise.reject(
          new AppError('SESSION_ID_TAKEN', 'session id is already in use or ended recently'),
        );
      }
      let excess = (owned.get(record.owner) ?? 0) - maxPerOwner + 1;
      for (const victim of [...sessions.fromOldest()]) {
        if (excess <= 0) break;
        if (victim.owner !== record.owner) continue;
        end(victim.id, 'evicted');
        excess -= 1;
      }
      owned.set(record.owner, (owned.get(record.owner) ?? 0) + 1);
      sessions.set(record.id, record);
      return Promise.resolve({ ...record });
    },

    get(id, owner) {
      const record = live(id, owner);
      return Promise.resolve(record === undefined ? undefined : { ...record });
    },

    touch(id, owner) {
      const record = live(id, owner);
      if (record === undefined) return Promise.resolve(undefined);
      use(record, now());
      return Promise.resolve({ ...record });
    },

    hold(id, owner) {
      if (live(id, owner) === undefined) return () => undefined;
      holds.set(id, (holds.get(id) ?? 0) + 1);
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        const left = (holds.get(id) ?? 1) - 1;
        if (left === 0) holds.delete(id);
        else holds.set(id, left);
        const record = sessions.peek(id);
        if (record !== undefined) use(record, now());
      };
    },

    delete(id) {
      return Promise.resolve(end(id, 'deleted'));
    },

    sweep() {
      return Promise.resolve(sweep());
    },

    count(kind?: SessionKind) {
      const time = now();
      let n = 0;
      for (const record of sessions.values()) {
        if (!idle(record, time) && (kind === undefined || record.kind === kind)) n += 1;
      }
      return Promise.resolve(n);
    },

    onGone(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    onMissedNews: () => () => undefined,

    close() {
      clearInterval(timer);
      listeners.clear();
      return Promise.resolve();
    },
  };
}
