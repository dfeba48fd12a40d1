/**
 * MCP sessions: 2025-era Streamable HTTP sessions and legacy SSE sessions are unguessable and
 * belong to the principal that opened them; routing edges and the Origin guard.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { UUID } from './checks.ts';
import {
  MCP_HEADERS,
  initializeBody,
  nodeRequest,
  openRawSse,
  rawRequest,
  probeSse,
  startStack,
  type Stack,
} from './stack.ts';

const listToolsBody = (id = 2): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });

const RpcError = z.object({
  jsonrpc: z.literal('2.0'),
  error: z.object({ code: z.number(), message: z.string() }),
});

const ToolsList = z.object({ result: z.object({ tools: z.array(z.unknown()) }) });
const InitializeReply = z.object({
  id: z.number(),
  result: z.object({ serverInfo: z.object({ name: z.string() }) }),
});

async function openSession(stack: Stack, token: string): Promise<string> {
  const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, Authorization: `Bearer ${token}` },
    body: initializeBody(),
  });
  expect(reply.status).toBe(200);
  const id = reply.headers.get('mcp-session-id');
  expect(id).toMatch(UUID);
  return id!;
}

const onSession = (token: string, sessionId: string) => ({
  ...MCP_HEADERS,
  Authorization: `Bearer ${token}`,
  'Mcp-Session-Id': sessionId,
  'Mcp-Protocol-Version': '2025-06-18',
});

describe('2025-era Streamable HTTP sessions', () => {
  it('ids are random UUIDs and work for their owner', async () => {
    const stack = await startStack();
    const token = await stack.token();
    const ids = [await openSession(stack, token), await openSession(stack, token)];
    expect(new Set(ids).size).toBe(2);
    const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: onSession(token, ids[0]!),
      body: listToolsBody(),
    });
    expect(reply.status).toBe(200);
    expect(ToolsList.parse(reply.json).result.tools).toHaveLength(41);
    expect(stack.front.requests).toEqual([]);
  });

  it('another principal using the session id gets 404 (same tenant, other sub)', async () => {
    const stack = await startStack();
    const owner = await stack.token({ sub: 'user-1' });
    const intruder = await stack.token({ sub: 'user-2' });
    const id = await openSession(stack, owner);
    for (const method of ['POST', 'GET', 'DELETE'] as const) {
      const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
        method,
        headers: onSession(intruder, id),
        ...(method === 'POST' ? { body: listToolsBody() } : {}),
      });
      expect(reply.status, method).toBe(404);
      expect(RpcError.parse(reply.json).error.code).toBe(-32001);
    }
    // The intruder's DELETE did not end it.
    const still = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: onSession(owner, id),
      body: listToolsBody(),
    });
    expect(still.status).toBe(200);
    expect(stack.front.requests).toEqual([]);
  });

  it('the same sub in another tenant is another principal: 404', async () => {
    const stack = await startStack();
    const id = await openSession(stack, await stack.token({ sub: 'user-1' }));
    const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: onSession(await stack.token({ sub: 'user-1', tenant: 'tenant-b' }), id),
      body: listToolsBody(),
    });
    expect(reply.status).toBe(404);
  });

  it('a refreshed token of the same principal keeps using the session', async () => {
    const stack = await startStack();
    const id = await openSession(stack, await stack.token({ sub: 'user-1' }));
    const refreshed = await stack.token({ sub: 'user-1', expiresIn: '2h' });
    const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: onSession(refreshed, id),
      body: listToolsBody(),
    });
    expect(reply.status).toBe(200);
  });

  it('an unknown session id gets 404', async () => {
    const stack = await startStack();
    const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: onSession(await stack.token(), randomUUID()),
      body: listToolsBody(),
    });
    expect(reply.status).toBe(404);
    expect(RpcError.parse(reply.json).error.code).toBe(-32001);
  });

  it('DELETE ends the session; it is 404 afterwards', async () => {
    const stack = await startStack();
    const token = await stack.token();
    const id = await openSession(stack, token);
    expect(stack.gateway.sessions.count('streamable')).toBe(1);
    const deleted = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'DELETE',
      headers: onSession(token, id),
    });
    expect(deleted.status).toBe(200);
    expect(stack.gateway.sessions.count('streamable')).toBe(0);
    const after = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: onSession(token, id),
      body: listToolsBody(),
    });
    expect(after.status).toBe(404);
  });
});

describe('session limits', () => {
  it('beyond maxSessions the least recently used session is closed', async () => {
    const stack = await startStack({ maxSessions: 2 });
    const token = await stack.token();
    const first = await openSession(stack, token);
    const second = await openSession(stack, token);
    const third = await openSession(stack, token);
    expect(stack.gateway.sessions.count()).toBe(2);
    const statuses = [];
    for (const id of [first, second, third]) {
      const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
        method: 'POST',
        headers: onSession(token, id),
        body: listToolsBody(),
      });
      statuses.push(reply.status);
    }
    expect(statuses).toEqual([404, 200, 200]);
  });

  it("a principal beyond its own cap loses its oldest session, and nobody else's", async () => {
    const stack = await startStack({ maxSessions: 10, maxSessionsPerPrincipal: 2 });
    const other = await stack.token({ sub: 'user-2' });
    const theirs = await openSession(stack, other);
    const token = await stack.token();
    const mine = [];
    for (let i = 0; i < 4; i += 1) mine.push(await openSession(stack, token));
    expect(stack.gateway.sessions.count()).toBe(3);
    const statusOf = async (bearer: string, id: string) =>
      (
        await rawRequest(`${stack.gateway.url}/mcp`, {
          method: 'POST',
          headers: onSession(bearer, id),
          body: listToolsBody(),
        })
      ).status;
    const statuses = [];
    for (const id of mine) statuses.push(await statusOf(token, id));
    expect(statuses).toEqual([404, 404, 200, 200]);
    expect(await statusOf(other, theirs)).toBe(200);
  });

  it('an idle session expires', async () => {
    let clock = Date.now();
    const stack = await startStack({ sessionIdleSeconds: 60, now: () => clock });
    const token = await stack.token();
    const id = await openSession(stack, token);
    clock += 60_001;
    const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: onSession(token, id),
      body: listToolsBody(),
    });
    expect(reply.status).toBe(404);
  });

  it('a session whose client listens on its GET stream is not idle, however quiet', async () => {
    let clock = Date.now();
    const stack = await startStack({ sessionIdleSeconds: 60, now: () => clock });
    const token = await stack.token();
    const id = await openSession(stack, token);
    const listening = new AbortController();
    const stream = await fetch(`${stack.gateway.url}/mcp`, {
      headers: { ...onSession(token, id), Accept: 'text/event-stream' },
      signal: listening.signal,
    });
    expect(stream.status).toBe(200);
    clock += 10 * 60_000;
    const post = () =>
      rawRequest(`${stack.gateway.url}/mcp`, {
        method: 'POST',
        headers: onSession(token, id),
        body: listToolsBody(),
      });
    expect((await post()).status).toBe(200);
    // Once the client stops listening, the idle time runs again.
    listening.abort();
    // Until the gateway has seen the stream end, each POST finds the session still held.
    await expect
      .poll(async () => {
        clock += 60_001;
        return (await post()).status;
      })
      .toBe(404);
  });

  it('a legacy SSE session stays while its stream is connected, however quiet', async () => {
    const stack = await startStack({ sessionIdleSeconds: 0.2 });
    const token = await stack.token();
    const sse = await openRawSse(stack.gateway.url, token);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const reply = await rawRequest(`${stack.gateway.url}${sse.endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: listToolsBody(),
    });
    expect(reply.status).toBe(202);
    expect(stack.gateway.sessions.count('sse')).toBe(1);
    sse.close();
  });
});

describe('legacy SSE sessions', () => {
  it('the endpoint event names /messages/?session_id=<32 hex>; the owner posts and gets 202', async () => {
    const stack = await startStack();
    const token = await stack.token();
    const sse = await openRawSse(stack.gateway.url, token);
    expect(sse.status).toBe(200);
    expect(sse.endpoint).toMatch(/^\/messages\/\?session_id=[0-9a-f]{32}$/);
    const reply = await rawRequest(`${stack.gateway.url}${sse.endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: initializeBody(7),
    });
    expect(reply.status).toBe(202);
    expect(InitializeReply.parse(await sse.nextMessage()).id).toBe(7);
  });

  it.each([
    { name: "another principal's session_id", query: 'own', sub: 'user-2', status: 404 },
    { name: 'an unknown session_id', query: 'f'.repeat(32), sub: 'user-1', status: 404 },
    { name: 'no session_id', query: undefined, sub: 'user-1', status: 400 },
    { name: 'an empty session_id', query: '', sub: 'user-1', status: 400 },
    { name: 'a malformed session_id', query: 'not-hex', sub: 'user-1', status: 400 },
  ])('POST /messages/ with $name → $status', async ({ query, sub, status }) => {
    const stack = await startStack();
    const sse = await openRawSse(stack.gateway.url, await stack.token({ sub: 'user-1' }));
    const id = query === 'own' ? sse.sessionId : query;
    const path = id === undefined ? '/messages/' : `/messages/?session_id=${id}`;
    const reply = await rawRequest(`${stack.gateway.url}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${await stack.token({ sub })}`,
      },
      body: listToolsBody(),
    });
    expect(reply.status).toBe(status);
    expect(stack.front.requests).toEqual([]);
  });

  it('once the stream is closed, its session_id is 404', async () => {
    const stack = await startStack();
    const token = await stack.token();
    const sse = await openRawSse(stack.gateway.url, token);
    expect(stack.gateway.sessions.count('sse')).toBe(1);
    sse.close();
    await vi.waitFor(() => {
      expect(stack.gateway.sessions.count('sse')).toBe(0);
    });
    const reply = await rawRequest(`${stack.gateway.url}${sse.endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: listToolsBody(),
    });
    expect(reply.status).toBe(404);
  });

  it('POST /messages?session_id=… (no slash) → 307 to /messages/?session_id=…', async () => {
    const stack = await startStack();
    const reply = await rawRequest(`${stack.gateway.url}/messages?session_id=${'a'.repeat(32)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: listToolsBody(),
    });
    expect(reply.status).toBe(307);
    expect(reply.headers.get('location')).toBe(`/messages/?session_id=${'a'.repeat(32)}`);
  });

  it('POST /messages/ without credentials → 401', async () => {
    const stack = await startStack();
    const sse = await openRawSse(stack.gateway.url, await stack.token());
    const reply = await rawRequest(`${stack.gateway.url}${sse.endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: listToolsBody(),
    });
    expect(reply.status).toBe(401);
  });

  it('GET /sse/ → 307 to /sse, query kept; POST /sse → 405', async () => {
    const stack = await startStack();
    const token = await stack.token();
    const redirect = await rawRequest(`${stack.gateway.url}/sse/`, {
      method: 'GET',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe('/sse');
    const withQuery = await rawRequest(`${stack.gateway.url}/sse/?client=x&y=1`, {
      method: 'GET',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(withQuery.status).toBe(307);
    expect(withQuery.headers.get('location')).toBe('/sse?client=x&y=1');
    const post = await rawRequest(`${stack.gateway.url}/sse`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: listToolsBody(),
    });
    expect(post.status).toBe(405);
    expect(stack.gateway.sessions.count()).toBe(0);
  });
});

describe('Origin guard', () => {
  it.each([
    { origin: 'https://evil.example', status: 403 },
    { origin: 'null', status: 403 },
    { origin: 'http://localhost:5173', status: 200 },
    { origin: 'http://127.0.0.1:6274', status: 200 },
  ])('Origin $origin → $status', async ({ origin, status }) => {
    const stack = await startStack();
    const token = await stack.token();
    const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${token}`, Origin: origin },
      body: initializeBody(),
    });
    expect(reply.status).toBe(status);
    expect(stack.gateway.sessions.count()).toBe(status === 200 ? 1 : 0);
    const sse = await probeSse(`${stack.gateway.url}/sse`, {
      Authorization: `Bearer ${token}`,
      Origin: origin,
    });
    expect(sse.status).toBe(status);
    expect(stack.front.requests).toEqual([]);
  });

  it.each([
    { host: 'evil.example', status: 403 },
    { host: 'rebind.attacker.test:8001', status: 403 },
    { host: 'localhost', status: 200 },
  ])('Host $host → $status (DNS rebinding)', async ({ host, status }) => {
    const stack = await startStack();
    const reply = await nodeRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${await stack.token()}`, Host: host },
      body: initializeBody(),
    });
    expect(reply.status).toBe(status);
    expect(stack.front.requests).toEqual([]);
  });

  it.each([
    { host: 'MCP.example.com:443', status: 200 },
    { host: 'toolbridge-mcp-t.flycast', status: 200 },
    { host: 'localhost:8001', status: 200 },
    { host: 'evil.example', status: 403 },
  ])('with TOOLBRIDGE_ALLOWED_HOSTS, Host $host → $status', async ({ host, status }) => {
    const stack = await startStack({
      allowedHosts: ['mcp.example.com', 'toolbridge-mcp-t.flycast'],
    });
    const reply = await nodeRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${await stack.token()}`, Host: host },
      body: initializeBody(),
    });
    expect(reply.status).toBe(status);
  });
});
