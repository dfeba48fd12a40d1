import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { startStack, stackToken } from '../helpers/stack.ts';
import { MCP_HEADERS, initializeBody, rawRequest } from './stack.ts';

/**
 * The gateway with TOOLBRIDGE_REDIS_URL, in process: two gateways sharing one real Redis serve
 * each other's sessions, hear each other's deletions, and report the store in /readyz and
 * /metrics. The three-process version behind a load balancer is replicas.test.ts.
 */

const PASSWORD = 'wiring-pass-SENTINEL-17';
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
});
afterAll(async () => {
  await redis.close();
});

const replica = (replicaId: string) =>
  startStack({ redisUrl: `redis://127.0.0.1:${redis.port}`, redisPassword: PASSWORD, replicaId });

async function post(url: string, token: string, body: string, session?: string) {
  return rawRequest(`${url}/mcp`, {
    method: 'POST',
    headers: {
      ...MCP_HEADERS,
      Authorization: `Bearer ${token}`,
      'MCP-Protocol-Version': '2025-06-18',
      ...(session === undefined ? {} : { 'Mcp-Session-Id': session }),
    },
    body,
  });
}

const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });

describe('gateway with a Redis session store', () => {
  it('any replica serves a session; a DELETE anywhere ends it everywhere', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const token = await stackToken({ sub: 'alice' });
    const opened = await post(a.gateway.url, token, initializeBody());
    expect(opened.status).toBe(200);
    expect(opened.headers.get('x-tb-replica')).toBe('replica-a');
    const session = opened.headers.get('mcp-session-id') ?? '';
    expect(session).not.toBe('');

    const elsewhere = await post(b.gateway.url, token, list, session);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.headers.get('x-tb-replica')).toBe('replica-b');
    expect(b.gateway.sessions.count('streamable')).toBe(1);
    const intruder = await stackToken({ sub: 'mallory' });
    expect((await post(b.gateway.url, intruder, list, session)).status).toBe(404);

    const ended = await rawRequest(`${b.gateway.url}/mcp`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}`, 'Mcp-Session-Id': session },
    });
    expect(ended.status).toBe(200);
    // A heard the deletion over Redis and closed its live part.
    await expect.poll(() => a.gateway.sessions.count()).toBe(0);
    expect(b.gateway.sessions.count()).toBe(0);
    for (const gateway of [a.gateway, b.gateway]) {
      expect((await post(gateway.url, token, list, session)).status).toBe(404);
    }
  });

  it('reports the store in /metrics, and /readyz is 503 while Redis is away', async () => {
    const { gateway } = await replica('replica-c');
    const token = await stackToken({ sub: 'bob' });
    expect((await post(gateway.url, token, initializeBody())).status).toBe(200);
    const metrics = await rawRequest(`${gateway.url}/metrics`, {});
    expect(metrics.text).toMatch(
      /toolbridge_session_store_sessions\{store="redis",transport="streamable_http"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /toolbridge_redis_command_duration_seconds_count\{operation="create",outcome="ok"\} [1-9]/,
    );
    await expect.poll(async () => (await rawRequest(`${gateway.url}/readyz`, {})).status).toBe(200);

    await redis.stop();
    try {
      const ready = await rawRequest(`${gateway.url}/readyz`, {});
      expect(ready.status).toBe(503);
      expect(ready.text).toContain('TOOLBRIDGE_REDIS_URL');
      for (const secret of ['SENTINEL', '127.0.0.1', String(redis.port)]) {
        expect(ready.text).not.toContain(secret);
      }
      // A session cannot be opened without its store: 503, not a 500, and nothing leaks.
      const refused = await post(gateway.url, token, initializeBody());
      expect(refused.status).toBe(503);
      expect(refused.text).not.toContain(String(redis.port));
    } finally {
      await redis.start();
    }
    await expect
      .poll(async () => (await rawRequest(`${gateway.url}/readyz`, {})).status, { timeout: 10_000 })
      .toBe(200);
  });
});
