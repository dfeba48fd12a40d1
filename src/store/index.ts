import type { Config } from '../config.ts';
import { createMemoryBuckets, type TokenBuckets } from '../limits/buckets.ts';
import { createRedisBuckets } from '../limits/redis-buckets.ts';
import { redisReadiness } from './health.ts';
import { createMemorySessionStore } from './memory-store.ts';
import { createRedisConnection, type RedisConnectionOptions } from './redis-connection.ts';
import { createRedisSessionStore } from './redis-store.ts';
import { createMemoryRelay, createRedisRelay, type Relay } from './relay.ts';
import type { SessionStore } from './session-store.ts';

export type { SessionStore, SessionGone, GoneReason, StoreLimits } from './session-store.ts';
export { SessionRecord, type SessionKind } from './session-record.ts';
export type { Relay } from './relay.ts';

/**
 * What the composition root gets: the store, the SSE relay, the rate limiter's token buckets, a
 * readiness probe, one close. With Redis all three share its one connection.
 */
export interface SessionBackplane {
  readonly store: SessionStore;
  readonly relay: Relay;
  readonly buckets: TokenBuckets;
  /** For /readyz: undefined when ready, else the reason (no host, port or password). */
  readiness(): Promise<string | undefined>;
  /** Settles true once the store can serve, or false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean>;
  /** For the `toolbridge_session_store_sessions` gauge. */
  sessions(): Promise<{ store: 'memory' | 'redis'; streamable: number; sse: number }>;
  close(): Promise<void>;
}

export type BackplaneDeps = Pick<RedisConnectionOptions, 'onTrouble' | 'observe'> & {
  now?: () => number;
};

/** The memory store, or the Redis one when TOOLBRIDGE_REDIS_URL is set. */
export function createSessionBackplane(
  config: Pick<
    Config,
    'redisUrl' | 'redisPassword' | 'sessionIdleSeconds' | 'maxSessions' | 'maxSessionsPerPrincipal'
  >,
  deps: BackplaneDeps = {},
): SessionBackplane {
  const limits = {
    idleMs: config.sessionIdleSeconds * 1000,
    max: config.maxSessions,
    maxPerOwner: config.maxSessionsPerPrincipal,
  };
  const sessions = async (store: SessionStore) => ({
    store: store.kind,
    streamable: await store.count('streamable'),
    sse: await store.count('sse'),
  });
  const clock = deps.now ? { now: deps.now } : {};
  if (config.redisUrl === undefined) {
    const store = createMemorySessionStore({ ...limits, ...clock });
    return {
      store,
      relay: createMemoryRelay(),
      buckets: createMemoryBuckets(clock),
      readiness: () => Promise.resolve(undefined),
      whenReady: () => Promise.resolve(true),
      sessions: () => sessions(store),
      close: () => store.close(),
    };
  }
  const connection = createRedisConnection({
    url: config.redisUrl,
    password: config.redisPassword,
    ...(deps.onTrouble ? { onTrouble: deps.onTrouble } : {}),
    ...(deps.observe ? { observe: deps.observe } : {}),
  });
  const store = createRedisSessionStore({ ...limits, connection });
  const buckets = createRedisBuckets({
    connection,
    fallback: createMemoryBuckets(clock),
    ...(deps.onTrouble ? { onFallback: deps.onTrouble } : {}),
    ...clock,
  });
  return {
    store,
    relay: createRedisRelay(connection),
    buckets,
    readiness: () => redisReadiness(connection),
    whenReady: (timeoutMs) => connection.whenReady(timeoutMs),
    sessions: () => sessions(store),
    async close() {
      await store.close();
      await connection.close();
    },
  };
}
