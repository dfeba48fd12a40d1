import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createSessionBackplane } from '../../src/store/index.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

/** The store as the composition root will wire it: chosen by configuration, measured, probed. */

const PASSWORD = 'backplane-pass-SENTINEL-0006';
let server: RedisServer;
beforeAll(async () => {
  server = await startRedis({ password: PASSWORD });
});
afterAll(async () => {
  await server.close();
});

const record = (kind: 'streamable' | 'sse') => ({
  id: randomUUID(),
  owner: 't\u0000alice',
  kind,
  protocolVersion: '2025-06-18',
  createdAt: Date.now(),
  lastUsedAt: 0,
});

describe.each([
  ['memory', () => ({})],
  [
    'redis',
    () => ({
      TOOLBRIDGE_REDIS_URL: `redis://127.0.0.1:${server.port}`,
      TOOLBRIDGE_REDIS_PASSWORD: PASSWORD,
    }),
  ],
] satisfies [string, () => Record<string, string>][])('backplane: %s', (kind, env) => {
  it('serves sessions, reports them and their round trips as metrics, and is ready', async () => {
    const config = loadConfig({ env: env() });
    const metrics = createMetrics({
      sessions: () => ({ streamable: 0, sse: 0 }),
      pool: () => undefined,
      storeSessions: () => backplane.sessions(),
    });
    const backplane = createSessionBackplane(config, {
      observe: (operation, seconds, ok) => {
        metrics.redisCommand(operation, seconds, ok);
      },
    });
    try {
      expect(backplane.store.kind).toBe(kind);
      await expect.poll(() => backplane.readiness(), { timeout: 5000 }).toBeUndefined();
      await backplane.store.create(record('sse'));
      await backplane.store.create(record('streamable'));
      await backplane.store.create(record('sse'));
      const text = await metrics.registry.metrics();
      expect(text).toContain(
        `toolbridge_session_store_sessions{store="${kind}",transport="sse"} 2`,
      );
      expect(text).toContain(
        `toolbridge_session_store_sessions{store="${kind}",transport="streamable_http"} 1`,
      );
      const creates =
        'toolbridge_redis_command_duration_seconds_count{operation="create",outcome="ok"}';
      if (kind === 'redis') expect(text).toContain(`${creates} 3`);
      else expect(text).not.toContain(creates);
      expect(text).not.toContain('alice');
    } finally {
      await backplane.close();
    }
  });
});

describe('backplane: redis readiness', () => {
  it('says why it is not ready, naming the variable but no host, port or password', async () => {
    const backplane = createSessionBackplane(
      loadConfig({
        env: { TOOLBRIDGE_REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${server.port}` },
      }),
    );
    try {
      await expect.poll(() => backplane.readiness(), { timeout: 5000 }).toBeUndefined();
      await server.stop();
      const reason = await backplane.readiness();
      expect(reason).toMatch(/^session store unavailable: Redis \(TOOLBRIDGE_REDIS_URL\) /);
      for (const secret of ['SENTINEL', '127.0.0.1', String(server.port)]) {
        expect(reason).not.toContain(secret);
      }
    } finally {
      await server.start();
      await backplane.close();
    }
  });
});
