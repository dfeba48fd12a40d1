import type { RedisConnection } from './redis-connection.ts';

/**
 * Delivery to whichever replica holds a legacy SSE stream: `POST /messages/?session_id=…` may
 * land on replica A while the session's stream is open on replica B (its record's `holder`).
 * A publishes to B's channel; B, subscribed under its own holder id, writes to the stream.
 * Messages are opaque text (JSON-RPC, serialised by the caller); delivery is at most once.
 */
export interface Relay {
  /** Sends `message` to `holderId`'s subscribers; resolves to how many received it (0: none). */
  publish(holderId: string, message: string): Promise<number>;
  /** Hears messages for `holderId`; resolves, once subscribed, to the unsubscribe function. */
  subscribe(holderId: string, handler: (message: string) => void): Promise<() => Promise<void>>;
}

/** The relay of a single process: a holder is always this one. */
export function createMemoryRelay(): Relay {
  const handlers = new Map<string, Set<(message: string) => void>>();
  return {
    publish(holderId, message) {
      const set = handlers.get(holderId);
      for (const handler of set ?? []) handler(message);
      return Promise.resolve(set?.size ?? 0);
    },
    subscribe(holderId, handler) {
      const set = handlers.get(holderId) ?? new Set();
      handlers.set(holderId, set);
      // A wrapper per call, so the same handler subscribed twice is removed once per call.
      const wrapper = (message: string) => {
        handler(message);
      };
      set.add(wrapper);
      return Promise.resolve(() => {
        set.delete(wrapper);
        if (set.size === 0) handlers.delete(holderId);
        return Promise.resolve();
      });
    },
  };
}

export function createRedisRelay(connection: RedisConnection, prefix = 'tb:{sessions}:'): Relay {
  const channel = (holderId: string) => `${prefix}relay:${holderId}`;
  return {
    publish(holderId, message) {
      return connection.run('publish', (client) => client.publish(channel(holderId), message));
    },
    async subscribe(holderId, handler) {
      const listener = (message: string) => {
        handler(message);
      };
      await connection.subscriber.subscribe(channel(holderId), listener);
      return async () => {
        await connection.subscriber.unsubscribe(channel(holderId), listener);
      };
    },
  };
}
