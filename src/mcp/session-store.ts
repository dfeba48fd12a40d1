/**
 * Session records and where they are kept. A record is all a process needs to serve a 2025-era
 * session it has never seen (sessions.ts rebuilds the protocol instance from it), so it is small
 * and plain: no transport, no socket, nothing a store could not serialise. The store decides
 * which sessions exist: it ends the idle ones, and keeps the global and per-principal caps.
 *
 * The interface is asynchronous because a shared store (Redis, so that any replica can serve any
 * session) answers over the network; the memory store below answers at once.
 */
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/server';
import { createLru } from '../lru.ts';

/** What `initialize` settled: enough to treat a rebuilt protocol instance as initialized. */
export interface ClientState {
  readonly protocolVersion: string;
  readonly clientInfo: Implementation;
  readonly capabilities: ClientCapabilities;
}

export type SessionRecord = {
  readonly id: string;
  /** The principal key (principal.ts) of whoever opened it; nobody else may use it. */
  readonly owner: string;
  /** Milliseconds since the epoch, by the store's clock. */
  readonly createdAt: number;
  readonly lastUsedAt: number;
} & (
  | { readonly kind: 'streamable'; readonly client: ClientState }
  // A legacy SSE session is its stream: it lives on the process holding that, and is never rebuilt.
  | { readonly kind: 'sse' }
);

export type EndReason = 'idle' | 'capacity';

export interface SessionStore {
  /** Keeps a new record, first ending others as the caps require (reported to `watch`). */
  create(record: SessionRecord): Promise<void>;
  /**
   * The record when it exists, belongs to `owner` and is not idle; it counts as used now. Another
   * principal's record looks absent.
   */
  use(id: string, owner: string): Promise<SessionRecord | undefined>;
  /** Keeps the session from going idle (an open stream) until the returned function is called. */
  hold(id: string): () => void;
  delete(id: string): Promise<void>;
  /** Hears of every record the store ends by itself, so the live parts can close. */
  watch(listener: (record: SessionRecord, reason: EndReason) => void): void;
  /** Stops the store's timers; records are kept (another replica may still serve them). */
  close(): Promise<void>;
}

export interface MemoryStoreOptions {
  idleMs: number;
  max: number;
  /** Sessions one principal may hold (default: `max`). */
  maxPerOwner?: number | undefined;
  now?: () => number;
}

interface Slot {
  record: SessionRecord;
  /** Holds (open streams): a connected client is not idle. */
  holds: number;
}

/** One process's sessions, least recently used first out, with a sliding idle time. */
export function createMemoryStore({
  idleMs,
  max,
  maxPerOwner = max,
  now = Date.now,
}: MemoryStoreOptions) {
  const listeners: ((record: SessionRecord, reason: EndReason) => void)[] = [];
  const end = (record: SessionRecord, reason: EndReason) => {
    for (const listener of listeners) listener(record, reason);
  };
  /** Records per owner; changes only when a record comes or goes, never per use. */
  const owned = new Map<string, number>();
  const gone = (record: SessionRecord) => {
    const left = (owned.get(record.owner) ?? 1) - 1;
    if (left === 0) owned.delete(record.owner);
    else owned.set(record.owner, left);
  };
  const slots = createLru<Slot>(max, (slot) => {
    gone(slot.record);
    end(slot.record, 'capacity');
  });
  const remove = (id: string): Slot | undefined => {
    const slot = slots.peek(id);
    if (slot === undefined) return undefined;
    slots.delete(id);
    gone(slot.record);
    return slot;
  };
  const evict = (id: string, reason: EndReason) => {
    const slot = remove(id);
    if (slot !== undefined) end(slot.record, reason);
  };
  const used = (slot: Slot, at: number) => {
    slot.record = { ...slot.record, lastUsedAt: at };
    slots.touch(slot.record.id);
  };

  /** Makes room for one more record of `owner` within its own cap. */
  const roomFor = (owner: string) => {
    let excess = (owned.get(owner) ?? 0) - maxPerOwner + 1;
    if (excess <= 0) return;
    const victims: string[] = [];
    for (const slot of slots.fromOldest()) {
      if (slot.record.owner !== owner) continue;
      victims.push(slot.record.id);
      excess -= 1;
      if (excess === 0) break;
    }
    for (const id of victims) evict(id, 'capacity');
  };

  const sweep = () => {
    const time = now();
    const cutoff = time - idleMs;
    let slot = slots.oldest();
    while (slot !== undefined && slot.record.lastUsedAt <= cutoff) {
      // Still connected: counts as used now (and moves out of the way of the sweep).
      if (slot.holds > 0) used(slot, time);
      else evict(slot.record.id, 'idle');
      slot = slots.oldest();
    }
  };
  const timer = setInterval(sweep, Math.min(idleMs, 60_000));
  timer.unref();

  const store = {
    create(record: SessionRecord): Promise<void> {
      if (slots.peek(record.id) !== undefined) remove(record.id);
      roomFor(record.owner);
      owned.set(record.owner, (owned.get(record.owner) ?? 0) + 1);
      slots.set(record.id, { record, holds: 0 });
      return Promise.resolve();
    },

    use(id: string, owner: string): Promise<SessionRecord | undefined> {
      const slot = slots.peek(id);
      if (slot === undefined || slot.record.owner !== owner) return Promise.resolve(undefined);
      const time = now();
      if (slot.holds === 0 && slot.record.lastUsedAt <= time - idleMs) {
        evict(id, 'idle');
        return Promise.resolve(undefined);
      }
      used(slot, time);
      return Promise.resolve(slot.record);
    },

    hold(id: string): () => void {
      const slot = slots.peek(id);
      if (slot === undefined) return () => undefined;
      slot.holds += 1;
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        slot.holds -= 1;
        // The stream's end is its last use; the order of use must agree, or the sweep stops early.
        if (slots.peek(id) === slot) used(slot, now());
      };
    },

    delete(id: string): Promise<void> {
      remove(id);
      return Promise.resolve();
    },

    watch(listener: (record: SessionRecord, reason: EndReason) => void): void {
      listeners.push(listener);
    },

    close(): Promise<void> {
      clearInterval(timer);
      return Promise.resolve();
    },

    /** Runs the idle sweep now (the timer runs it every idle period, at most every minute). */
    sweep,
    /** Records kept (tests, and the model check). */
    get size(): number {
      return slots.size;
    },
  };
  return store satisfies SessionStore;
}
