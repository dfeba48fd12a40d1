import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBuckets, type Bucket, type Taken } from '../../src/limits/buckets.ts';
import { RETRY_REDIS_MS, createRedisBuckets } from '../../src/limits/redis-buckets.ts';
import { createRedisConnection, type RedisConnection } from '../../src/store/redis-connection.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

/** The Redis token buckets against a real redis-server: shared, atomic, expiring, degradable. */

let server: RedisServer;
const opened: RedisConnection[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  for (const connection of opened.splice(0)) await connection.close();
  await server.start();
});

async function connect(commandTimeoutMs = 1000): Promise<RedisConnection> {
  const connection = createRedisConnection({ url: server.url, commandTimeoutMs });
  opened.push(connection);
  expect(await connection.whenReady(5000)).toBe(true);
  return connection;
}

/** A limiter instance as one replica builds it; each test gets its own key prefix. */
function replica(connection: RedisConnection, prefix: string, now?: () => number) {
  const warnings: string[] = [];
  const fallback = createMemoryBuckets();
  const buckets = createRedisBuckets({
    connection,
    fallback,
    prefix,
    onFallback: (message) => warnings.push(message),
    ...(now === undefined ? {} : { now }),
  });
  return { buckets, fallback, warnings };
}

const prefixed = () => `t${randomUUID().slice(0, 8)}:{limits}:`;
/** Slow refill (one token an hour): a test's own seconds never add a token. */
const hourly = (id: string, burst: number): Bucket => ({ id, perSecond: 1 / 3600, burst });

async function granted(take: () => Promise<Taken>, max = 100): Promise<number> {
  let n = 0;
  while (n < max && (await take()).ok) n += 1;
  return n;
}

describe('Redis token buckets', () => {
  it('allow the burst, then refuse with the time until the next token', async () => {
    const { buckets } = replica(await connect(), prefixed());
    const fast = [{ id: 'alice', perSecond: 2, burst: 3 }];
    expect(await granted(() => buckets.take(fast))).toBe(3);
    const refused = await buckets.take(fast);
    expect(refused).toMatchObject({ ok: false, index: 0 });
    if (!refused.ok) {
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(500);
    }
  });

  it('take nothing when one bucket of the call is empty', async () => {
    const { buckets } = replica(await connect(), prefixed());
    const subject = hourly('subject', 5);
    const write = hourly('subject.write', 2);
    expect(await granted(() => buckets.take([subject, write]))).toBe(2);
    for (let i = 0; i < 4; i += 1) {
      expect(await buckets.take([subject, write])).toMatchObject({ ok: false, index: 1 });
    }
    // Only the two granted calls took from the subject bucket.
    expect(await granted(() => buckets.take([subject]))).toBe(3);
  });

  it('enforce one limit for two replicas, even when they race for the last tokens', async () => {
    const prefix = prefixed();
    const a = replica(await connect(), prefix);
    const b = replica(await connect(), prefix);
    const shared = [hourly('tenant-1', 10), hourly('tenant-1\u0000bob', 40)];
    const racing = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).buckets.take(shared));
    const results = await Promise.all(racing);
    expect(results.filter((result) => result.ok)).toHaveLength(10);
    // The second bucket lost exactly the ten granted tokens, no more.
    expect(await granted(() => b.buckets.take([hourly('tenant-1\u0000bob', 40)]))).toBe(30);
  });

  it('keep each bucket only until it would be full again', async () => {
    const connection = await connect();
    const prefix = prefixed();
    const { buckets } = replica(connection, prefix);
    await buckets.take([{ id: 'brief', perSecond: 10, burst: 20 }]);
    const keys = await connection.client.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    const ttl = await connection.client.pTTL(keys[0] ?? '');
    // Empty to full takes 20 / 10 per s = 2 s; a second of slack.
    expect(ttl).toBeGreaterThan(2000);
    expect(ttl).toBeLessThanOrEqual(3000);
  });

  it('load the script again after Redis lost it (SCRIPT FLUSH)', async () => {
    const connection = await connect();
    const { buckets } = replica(connection, prefixed());
    const one = [hourly('flushed', 2)];
    expect((await buckets.take(one)).ok).toBe(true);
    await connection.client.scriptFlush();
    expect((await buckets.take(one)).ok).toBe(true);
    expect((await buckets.take(one)).ok).toBe(false);
  });

  it('count in this process while Redis is away, warn once, and go back to Redis after it', async () => {
    let ms = 0;
    const connection = await connect(300);
    const { buckets, warnings } = replica(connection, prefixed(), () => ms);
    const one = [hourly('outage', 3)];
    expect((await buckets.take(one)).ok).toBe(true);

    await server.stop();
    // The fallback starts full: per replica, the limit holds from the outage on.
    expect(await granted(() => buckets.take(one))).toBe(3);
    expect(warnings).toEqual([
      'Redis did not answer a rate-limit check: limits are counted per replica until it does',
    ]);

    await server.start();
    expect(await connection.whenReady(5000)).toBe(true);
    // Within the retry interval the fallback still counts, without asking Redis.
    expect((await buckets.take(one)).ok).toBe(false);
    expect(await connection.client.dbSize()).toBe(0);
    ms += RETRY_REDIS_MS;
    // Back on Redis, which kept nothing across its restart (the test server persists nothing).
    expect(await granted(() => buckets.take(one))).toBe(3);
    expect(await connection.client.dbSize()).toBe(1);
    expect(warnings).toHaveLength(1);
  });
});
