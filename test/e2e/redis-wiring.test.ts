import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalKey } from '../../src/mcp/principal.ts';
import { createRedisConnection } from '../../src/store/redis-connection.ts';
import { createRedisSessionStore } from '../../src/store/redis-store.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { startStack, stackToken } from '../helpers/stack.ts';
import { MCP_HEADERS, callTool, initializeBody, rawRequest, structuredOf } from './stack.ts';

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

/** A legacy SSE client whose stream is on `streamUrl` and whose POSTs all go to `postUrl`. */
async function sseClientSplit(streamUrl: string, postUrl: string, token: string) {
  const headers = { Authorization: `Bearer ${token}` };
  const postedTo: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the legacy transport is the subject
  const transport = new SSEClientTransport(new URL(`${streamUrl}/sse`), {
    requestInit: { headers },
    eventSourceInit: {
      fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, ...headers } }),
    },
    fetch: async (url, init) => {
      if (init?.method !== 'POST') return fetch(url, init);
      const response = await fetch(String(url).replace(streamUrl, postUrl), init);
      postedTo.push(`${response.status} ${response.headers.get('x-tb-replica') ?? ''}`);
      return response;
    },
  });
  const client = new Client({ name: 'split-sse', version: '1.0.0' });
  await client.connect(transport);
  onCleanup(() => client.close().catch(() => undefined));
  return { client, postedTo };
}

const messagesPost = (url: string, token: string, session: string) =>
  rawRequest(`${url}/messages/?session_id=${session}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: list,
  });

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
      // One readiness answer stands for half a second (a flood of /readyz costs Redis one PING).
      await expect
        .poll(async () => (await rawRequest(`${gateway.url}/readyz`, {})).status, {
          timeout: 2_000,
        })
        .toBe(503);
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

  it('relays a legacy SSE POST to the replica holding the stream; the reply comes on the stream', async () => {
    const a = await replica('replica-sse-a');
    const b = await replica('replica-sse-b');
    const token = await stackToken({ sub: 'carol' });
    const { client, postedTo } = await sseClientSplit(a.gateway.url, b.gateway.url, token);

    expect((await client.listTools()).tools).toHaveLength(41);
    // The call runs on A, the stream's replica, as the principal that opened the stream.
    const created = structuredOf(
      await callTool(client, 'create_note', { title: 'relayed', content: 'via B' }),
    );
    const uid = String(created['uid']);
    const read = structuredOf(await callTool(client, 'get_note', { uid }));
    expect(read).toMatchObject({ uid, payload: { title: 'relayed' } });
    // Every POST (initialize, initialized, list, two calls) was answered 202 by B.
    expect(postedTo.length).toBeGreaterThanOrEqual(5);
    expect(new Set(postedTo)).toEqual(new Set(['202 replica-sse-b']));
    expect(a.gateway.sessions.count('sse')).toBe(1);
    expect(b.gateway.sessions.count('sse')).toBe(0);
    const metrics = await rawRequest(`${b.gateway.url}/metrics`, {});
    expect(metrics.text).toMatch(/toolbridge_sse_relayed_total\{outcome="sent"\} [5-9]/);
  });

  it('answers 404 to an SSE POST whose holding replica is gone, and counts it', async () => {
    const { gateway } = await replica('replica-sse-c');
    const token = await stackToken({ sub: 'dave' });
    // A record left by a replica that died holding the stream: nobody listens for its holder.
    const connection = createRedisConnection({
      url: `redis://127.0.0.1:${redis.port}`,
      password: PASSWORD,
    });
    const store = createRedisSessionStore({
      connection,
      idleMs: 60_000,
      max: 100,
      maxPerOwner: 10,
    });
    onCleanup(async () => {
      await store.close();
      await connection.close();
    });
    expect(await connection.whenReady(5_000)).toBe(true);
    const id = 'd'.repeat(32);
    await store.create({
      id,
      owner: principalKey({ subject: 'dave', tenantId: 'stack-tenant', authorization: '' }),
      kind: 'sse',
      createdAt: Date.now(),
      lastUsedAt: Date.now(),
      holder: 'replica-that-died',
    });

    const orphan = await messagesPost(gateway.url, token, id);
    expect(orphan.status).toBe(404);
    expect(orphan.text).toBe('Could not find session');
    // Another principal's SSE session looks unknown, as it would on its own replica.
    const intruder = await messagesPost(gateway.url, await stackToken({ sub: 'erin' }), id);
    expect(intruder.status).toBe(404);
    const metrics = await rawRequest(`${gateway.url}/metrics`, {});
    expect(metrics.text).toMatch(/toolbridge_sse_relayed_total\{outcome="no_holder"\} 1\b/);
  });

  it('closes the live parts of sessions lost while it could not hear the news', async () => {
    const { gateway } = await replica('replica-d');
    const token = await stackToken({ sub: 'frank' });
    const opened = await post(gateway.url, token, initializeBody());
    const session = opened.headers.get('mcp-session-id') ?? '';
    expect(gateway.sessions.count('streamable')).toBe(1);
    // Redis restarts empty (no persistence here): the record is gone, and no `gone` message ever
    // said so. The replica asks about its live sessions once its subscription is back.
    await redis.stop();
    await redis.start();
    await expect.poll(() => gateway.sessions.count(), { timeout: 15_000 }).toBe(0);
    expect((await post(gateway.url, token, list, session)).status).toBe(404);
  });

  it('survives an SSE client leaving while Redis is away, and forgets its stream', async () => {
    const { gateway } = await replica('replica-e');
    const token = await stackToken({ sub: 'grace' });
    const { client } = await sseClientSplit(gateway.url, gateway.url, token);
    expect((await client.listTools()).tools).toHaveLength(41);
    await redis.stop();
    try {
      // Ending the session cannot reach the store; that must not become an unhandled rejection.
      await client.close();
      await expect.poll(() => gateway.sessions.count('sse')).toBe(0);
      expect((await rawRequest(`${gateway.url}/healthz`, {})).status).toBe(200);
    } finally {
      await redis.start();
    }
  });
});
