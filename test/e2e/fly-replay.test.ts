import { once } from 'node:events';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { startBackend } from '../../src/backend/index.ts';
import { startGatewayProcess } from '../helpers/gateway-process.ts';
import { startFlyProxy } from '../helpers/fly-proxy.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { startRedis } from '../helpers/redis.ts';
import { STACK_JWT_SECRET, stackToken, startStack } from '../helpers/stack.ts';
import {
  MCP_HEADERS,
  callTool,
  connect,
  initializeBody,
  openRawSse,
  rawRequest,
  structuredOf,
} from './stack.ts';

/**
 * Issue 17 §3, Fly without Redis: two gateway processes with different FLY_MACHINE_IDs and no
 * Redis. A session lives on the machine that opened it, and its id says which; the other machine
 * hands a request for it back to Fly's proxy with `fly-replay`, and answers one that arrives as a
 * replay but is not for it with the transport's clean 404.
 */

const TENANT_SECRET = 'fly-replay-tenant-secret';
const A = '1781e79c4e0489';
const B = '3d8d9016b7e358';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SRC = { 'fly-replay-src': `instance=${B};region=iad;t=1767225600000000` };
const NOT_FOUND = {
  jsonrpc: '2.0',
  error: { code: -32001, message: 'Session not found' },
  id: null,
};

async function startMachines() {
  const backend = await startBackend({
    port: 0,
    jwtSecret: STACK_JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
  });
  onCleanup(() => backend.close());
  const machine = (id: string) =>
    startGatewayProcess({
      TOOLBRIDGE_GO_API_BASE_URL: backend.url,
      TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
      TOOLBRIDGE_JWT_SECRET: STACK_JWT_SECRET,
      TOOLBRIDGE_TENANT_ID: 'fly-tenant',
      TOOLBRIDGE_HOST: '127.0.0.1',
      TOOLBRIDGE_PORT: '0',
      FLY_MACHINE_ID: id,
    });
  const [a, b] = await Promise.all([machine(A), machine(B)]);
  return { a, b };
}

/** One sample of a Prometheus text page, or undefined when the series has none. */
async function sample(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
const replays = (transport: string, outcome: string) =>
  `toolbridge_fly_replays_total{transport="${transport}",outcome="${outcome}"}`;

const list = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' });
const ToolsAnswer = z.object({ id: z.number(), result: z.object({ tools: z.array(z.unknown()) }) });
/** How many tools a tools/list answer with this id names. */
const toolsIn = (answer: unknown, id: number) => {
  const parsed = ToolsAnswer.parse(answer);
  expect(parsed.id).toBe(id);
  return parsed.result.tools.length;
};

describe('two machines without Redis', () => {
  it('the one not holding a session hands its requests to Fly, and nothing else', async () => {
    const { a, b } = await startMachines();
    const token = await stackToken({ sub: 'alice' });
    const auth = { Authorization: `Bearer ${token}` };

    const opened = await rawRequest(`${a.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...auth },
      body: initializeBody(),
    });
    expect(opened.status).toBe(200);
    const session = opened.headers.get('mcp-session-id') ?? '';
    expect(session.startsWith(`${A}.`)).toBe(true);
    expect(session.slice(A.length + 1)).toMatch(UUID);
    const headers = { ...MCP_HEADERS, ...auth, 'MCP-Protocol-Version': '2025-06-18' };
    const onSession = { ...headers, 'Mcp-Session-Id': session };

    // At B: the same answer with or without a token, with a body it could not parse, by method.
    for (const request of [
      { method: 'POST', headers: onSession, body: list(2) },
      { method: 'POST', headers: { ...MCP_HEADERS, 'Mcp-Session-Id': session }, body: '{oops' },
      { method: 'GET', headers: { ...onSession, Accept: 'text/event-stream' } },
      { method: 'DELETE', headers: onSession },
    ]) {
      const answer = await rawRequest(`${b.url}/mcp`, request);
      expect(answer.status).toBe(409);
      expect(answer.headers.get('fly-replay')).toBe(`prefer_instance=${A}`);
      expect(answer.headers.get('x-tb-replica')).toBe(B);
      expect(answer.text).toBe('');
    }
    expect(await sample(b.url, replays('streamable_http', 'replayed'))).toBe(4);
    // Nothing authenticated, nothing opened, nothing called.
    expect(await sample(b.url, 'toolbridge_auth_failures_total{code="TOKEN_MISSING"}')).toBe(
      undefined,
    );
    expect(await sample(b.url, 'toolbridge_mcp_sessions{transport="streamable_http"}')).toBe(0);

    // The replay as Fly delivers it: at A it works; astray at B it is a clean 404.
    const replayed = { ...onSession, ...SRC };
    const astray = await rawRequest(`${b.url}/mcp`, {
      method: 'POST',
      headers: replayed,
      body: list(3),
    });
    expect([astray.status, astray.headers.get('fly-replay'), astray.json]).toEqual([
      404,
      null,
      NOT_FOUND,
    ]);
    expect(await sample(b.url, replays('streamable_http', 'holder_unavailable'))).toBe(1);
    const served = await rawRequest(`${a.url}/mcp`, {
      method: 'POST',
      headers: replayed,
      body: list(4),
    });
    expect(served.status).toBe(200);
    expect(toolsIn(served.json, 4)).toBe(41);

    // Ids that name no machine, or this one, are handled as ever.
    for (const id of [session.slice(A.length + 1), `${B}.${session.slice(A.length + 1)}`]) {
      const answer = await rawRequest(`${b.url}/mcp`, {
        method: 'POST',
        headers: { ...headers, 'Mcp-Session-Id': id },
        body: list(5),
      });
      expect([answer.status, answer.json]).toEqual([404, NOT_FOUND]);
    }

    // Legacy SSE: the stream is A's, and so are its posts.
    const sse = await openRawSse(a.url, token);
    expect(sse.sessionId).toMatch(new RegExp(`^${A}\\.[0-9a-f]{32}$`));
    const post = (url: string, extra: Record<string, string> = {}, path = sse.endpoint) =>
      rawRequest(`${url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...auth, ...extra },
        body: list(6),
      });
    const handed = await post(b.url);
    expect([handed.status, handed.headers.get('fly-replay'), handed.text]).toEqual([
      409,
      `prefer_instance=${A}`,
      '',
    ]);
    expect(await sample(b.url, replays('sse', 'replayed'))).toBe(1);
    const lost = await post(b.url, SRC);
    expect([lost.status, lost.text]).toEqual([404, 'Could not find session']);
    expect(await sample(b.url, replays('sse', 'holder_unavailable'))).toBe(1);
    expect((await post(a.url, SRC)).status).toBe(202);
    expect(toolsIn(await sse.nextMessage(), 6)).toBe(41);
    // Garbled machine parts: the ordinary 400, as without the mode.
    for (const id of ['zz', `b;d.${sse.sessionId.slice(A.length + 1)}`]) {
      const bad = await post(b.url, {}, `/messages/?session_id=${encodeURIComponent(id)}`);
      expect([bad.status, bad.text]).toEqual([400, 'Invalid session ID']);
    }
    expect(await sample(a.url, replays('sse', 'replayed'))).toBe(undefined);
  });

  it('behind a stand-in for Fly’s proxy, SDK clients of both eras are served wherever they land', async () => {
    const { a, b } = await startMachines();
    const proxy = await startFlyProxy([
      { id: A, url: a.url },
      { id: B, url: b.url },
    ]);
    const token = await stackToken({ sub: 'bob' });

    const client = new Client(
      { name: 'fly', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' } },
    );
    const transport = new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    onCleanup(() => client.close().catch(() => undefined));
    const sseClient = await connect(proxy.url, token, 'sse');
    // Three calls in a row from one client: with requests dealt in turn, one lands off its holder.
    for (const each of [client, client, client, sseClient, sseClient, sseClient]) {
      expect(structuredOf(await callTool(each, 'list_notes', {}))).toHaveProperty('items');
    }
    expect(new Set(proxy.landed)).toEqual(new Set([A, B]));
    for (const kind of ['streamable_http', 'sse']) {
      const counts = await Promise.all(
        [a, b].map(({ url }) => sample(url, replays(kind, 'replayed'))),
      );
      expect(counts.reduce((sum, count) => (sum ?? 0) + (count ?? 0), 0)).toBeGreaterThan(0);
    }
    const session = transport.sessionId ?? '';
    const [holder, other] = session.startsWith(`${A}.`) ? [a, b] : [b, a];
    expect(session.startsWith(`${B}.`) || session.startsWith(`${A}.`)).toBe(true);
    expect(await sample(other.url, replays('streamable_http', 'replayed'))).toBeGreaterThan(0);

    // The holder is destroyed: its session with it. The survivor gets the request, Fly finds no
    // machine to replay it to and hands it back there, and the answer is the clean 404.
    holder.child.kill('SIGKILL');
    await once(holder.child, 'exit');
    proxy.remove(holder === a ? A : B);
    const lost = await rawRequest(`${proxy.url}/mcp`, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        Authorization: `Bearer ${token}`,
        'MCP-Protocol-Version': '2025-06-18',
        'Mcp-Session-Id': session,
      },
      body: list(7),
    });
    expect([lost.status, lost.json]).toEqual([404, NOT_FOUND]);
    expect(await sample(other.url, replays('streamable_http', 'holder_unavailable'))).toBe(1);
    // A new session starts on the survivor.
    const again = await connect(proxy.url, token, '2025');
    expect(structuredOf(await callTool(again, 'list_notes', {}))).toHaveProperty('items');
  });
});

describe('ids keep their shape outside the mode', () => {
  it.each([
    ['without FLY_MACHINE_ID', 'memory', () => startStack()],
    [
      'with FLY_MACHINE_ID and Redis',
      'redis',
      async () => {
        const redis = await startRedis();
        onCleanup(() => redis.close());
        return startStack({ replicaId: A, redisUrl: redis.url });
      },
    ],
  ])('%s', async (_name, store, start) => {
    const { gateway } = await start();
    const token = await stackToken({ sub: 'carol' });
    const opened = await rawRequest(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${token}` },
      body: initializeBody(),
    });
    expect(opened.headers.get('mcp-session-id')).toMatch(UUID);
    const sse = await openRawSse(gateway.url, token);
    expect(sse.sessionId).toMatch(/^[0-9a-f]{32}$/);
    // Gone from the store before the gateway closes, so no store call outlives the test.
    sse.close();
    await vi.waitFor(async () => {
      const series = `toolbridge_session_store_sessions{store="${store}",transport="sse"}`;
      expect(await sample(gateway.url, series)).toBe(0);
    });
  });
});
