import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { redisReadiness } from '../../src/store/health.ts';
import { createRedisConnection, type RedisConnection } from '../../src/store/redis-connection.ts';
import { createRedisSessionStore, type RedisSessionStore } from '../../src/store/redis-store.ts';
import { createMemoryRelay, createRedisRelay, type Relay } from '../../src/store/relay.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

/** A real Redis that goes away and comes back; with a password, to prove it never shows. */

const PASSWORD = 'redis-pass-SENTINEL-0005';
const OWNER = 'tenant-a\u0000alice';
let server: RedisServer;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await startRedis({ password: PASSWORD });
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
  await server.start().catch(() => undefined);
});

async function replica(): Promise<{ connection: RedisConnection; store: RedisSessionStore }> {
  const connection = createRedisConnection({ url: server.url, commandTimeoutMs: 500 });
  opened.push(connection);
  const store = createRedisSessionStore({
    connection,
    idleMs: 60_000,
    max: 100,
    maxPerOwner: 10,
    prefix: `f${randomUUID().slice(0, 8)}:{s}:`,
  });
  opened.push(store);
  expect(await connection.whenReady(5000)).toBe(true);
  await store.subscribed;
  return { connection, store };
}

const record = () => ({
  id: randomUUID(),
  owner: OWNER,
  kind: 'streamable' as const,
  protocolVersion: '2025-06-18',
  createdAt: Date.now(),
  lastUsedAt: 0,
});

async function failure(promise: Promise<unknown>): Promise<{ error: AppError; ms: number }> {
  const started = performance.now();
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  if (!(error instanceof AppError)) throw error;
  return { error, ms: performance.now() - started };
}

describe('Redis store when Redis goes away', () => {
  it('fails fast with STORE_UNAVAILABLE naming the host, never the password, and recovers', async () => {
    const { connection, store } = await replica();
    const { id } = await store.create(record());
    await server.stop();
    const operations = [
      () => store.touch(id, OWNER),
      () => store.get(id, OWNER),
      () => store.create(record()),
      () => store.delete(id),
      () => store.count(),
    ];
    for (const operation of operations) {
      const { error, ms } = await failure(operation());
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(ms).toBeLessThan(3000); // the 1 s command timeout, plus room for a busy machine
      expect(error.message).toContain(`Redis at 127.0.0.1:${server.port}`);
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('SENTINEL');
    }
    const reason = await redisReadiness(connection, 300);
    expect(reason).toMatch(/^session store unavailable: Redis \(TOOLBRIDGE_REDIS_URL\) /);
    expect(reason).not.toContain('SENTINEL');
    expect(reason).not.toContain(String(server.port));

    await server.start();
    // The same objects work again once the client has reconnected in the background.
    await vi.waitFor(() => store.create(record()), { timeout: 10_000, interval: 100 });
    expect(await redisReadiness(connection)).toBeUndefined();
    const again = await store.create(record());
    expect(await store.touch(again.id, OWNER)).toMatchObject({ id: again.id });
  });

  it('gives up on a command sent to a Redis that stopped answering (no FIN), within the timeout', async () => {
    const { connection, store } = await replica();
    const { id } = await store.create(record());
    // A frozen server keeps its sockets open: the command is sent and no reply ever comes.
    server.pause();
    try {
      const { error, ms } = await failure(store.touch(id, OWNER));
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.message).toContain('did not answer in time');
      expect(ms).toBeLessThan(3000); // the 1 s command timeout, plus room for a busy machine
      expect(await redisReadiness(connection, 200)).toContain('did not answer in time');
    } finally {
      server.resume();
    }
    await vi.waitFor(() => store.touch(id, OWNER), { timeout: 5000, interval: 100 });
    expect(await store.touch(id, OWNER)).toMatchObject({ id });
  });

  it('renews the gone subscription after Redis restarts', async () => {
    const a = await replica();
    const gone: string[] = [];
    a.store.onGone(({ id }) => gone.push(id));
    await server.stop();
    await server.start();
    // The command and subscriber connections come back separately, and a deletion published
    // before the subscriber has renewed its subscription is not heard (pub/sub keeps nothing):
    // deletions are repeated until one is heard, which proves the subscription was renewed.
    await vi.waitFor(
      async () => {
        const { id } = await a.store.create(record());
        await a.store.delete(id);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(gone).toContain(id);
      },
      { timeout: 15_000, interval: 200 },
    );
  });
});

describe('touch is one round trip', () => {
  it('sends exactly one command (an EVALSHA) per touch', async () => {
    const { store } = await replica();
    const { id } = await store.create(record());
    await store.touch(id, OWNER); // loads the script if this server lost it
    const monitor = createRedisConnection({ url: server.url });
    opened.push(monitor);
    await monitor.whenReady(5000);
    const lines: string[] = [];
    await monitor.client.monitor((line) => lines.push(line));
    await monitor.client.sendCommand(['ECHO', 'start']).catch(() => undefined);
    await store.touch(id, OWNER);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Commands from clients show their address; those a script runs show "lua".
    const fromClients = lines.filter(
      (line) => /^\d+\.\d+ \[\d+ [\d.:]+\] /.test(line) && !line.includes('"ECHO" "start"'),
    );
    expect(fromClients).toHaveLength(1);
    expect(fromClients[0]).toMatch(/"evalsha"/i);
    expect(lines.join('\n')).not.toContain('SENTINEL');
  });
});

describe.each([
  ['memory', () => Promise.resolve(createMemoryRelay())],
  [
    'redis',
    async () => {
      const { connection } = await replica();
      return createRedisRelay(connection, `r${randomUUID().slice(0, 8)}:`);
    },
  ],
] satisfies [string, () => Promise<Relay>][])('relay: %s', (_name, make) => {
  it('delivers a message published on one replica to the holder subscribed on another', async () => {
    const relay = await make();
    const received: string[] = [];
    const unsubscribe = await relay.subscribe('machine-b', (message) => received.push(message));
    expect(await relay.publish('machine-b', '{"jsonrpc":"2.0","id":1}')).toBe(1);
    expect(await relay.publish('machine-c', 'nobody')).toBe(0);
    await vi.waitFor(() => {
      expect(received).toEqual(['{"jsonrpc":"2.0","id":1}']);
    });
    await unsubscribe();
    expect(await relay.publish('machine-b', 'after')).toBe(0);
  });
});
