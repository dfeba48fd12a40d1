import { randomUUID } from 'node:crypto';
import { createMemorySessionStore } from '../../src/store/memory-store.ts';
import { createRedisConnection, type RedisConnection } from '../../src/store/redis-connection.ts';
import { createRedisSessionStore } from '../../src/store/redis-store.ts';
import type { SessionStore, StoreLimits } from '../../src/store/session-store.ts';
import type { RedisServer } from '../helpers/redis.ts';

/**
 * One way to run the behavioural suite: the memory store on a fake clock, or the Redis store on
 * a real server and the real clock. `replicas` gives two stores that share their sessions, as
 * two gateway replicas would (a gateway without Redis is its only replica: the same store twice).
 */
export interface Harness {
  readonly name: string;
  /** An idle time short enough to wait out with the real clock. */
  readonly idleMs: number;
  replicas(limits: Omit<StoreLimits, 'idleMs'>): Promise<[SessionStore, SessionStore]>;
  /** Lets time pass: moves the fake clock, or sleeps. */
  advance(ms: number): Promise<void>;
  /** Everything the store holds outside this process, as text (memory: nothing, undefined). */
  dump(): Promise<string | undefined>;
  /** Closes what this test opened. */
  cleanup(): Promise<void>;
}

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

export function memoryHarness(): Harness {
  let time = 1_750_000_000_000;
  const stores: SessionStore[] = [];
  return {
    name: 'memory',
    idleMs: 2000,
    replicas(limits) {
      const store = createMemorySessionStore({ ...limits, idleMs: 2000, now: () => time });
      stores.push(store);
      return Promise.resolve([store, store]);
    },
    advance(ms) {
      time += ms;
      return Promise.resolve();
    },
    dump: () => Promise.resolve(undefined),
    async cleanup() {
      for (const store of stores.splice(0)) await store.close();
    },
  };
}

export function redisHarness(server: () => RedisServer): Harness {
  const connections: RedisConnection[] = [];
  const stores: SessionStore[] = [];
  let prefix = '';
  const connect = () => {
    const connection = createRedisConnection({ url: server().url });
    connections.push(connection);
    return connection;
  };
  return {
    name: 'redis',
    idleMs: 2000,
    async replicas(limits) {
      // A prefix per test: tests share the server but never each other's keys.
      prefix = `t${randomUUID().slice(0, 8)}:{s}:`;
      const make = () => {
        const store = createRedisSessionStore({
          ...limits,
          idleMs: 2000,
          connection: connect(),
          prefix,
        });
        stores.push(store);
        return store;
      };
      const pair: [SessionStore, SessionStore] = [make(), make()];
      for (const connection of connections) await connection.whenReady(5000);
      await Promise.all(
        stores.map((store) => ('subscribed' in store ? store.subscribed : undefined)),
      );
      return pair;
    },
    advance: sleep,
    async dump() {
      const connection = connect();
      await connection.whenReady(5000);
      const { client } = connection;
      const lines: string[] = [];
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
        for (const key of keys) {
          const type = await client.type(key);
          const value =
            type === 'hash'
              ? await client.hGetAll(key)
              : type === 'zset'
                ? await client.zRange(key, 0, -1)
                : await client.get(key);
          lines.push(`${key} ${JSON.stringify(value)}`);
        }
      }
      return lines.join('\n');
    },
    async cleanup() {
      for (const store of stores.splice(0)) await store.close();
      for (const connection of connections.splice(0)) await connection.close();
    },
  };
}
