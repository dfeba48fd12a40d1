/**
 * Slow clients against the whole gateway, over raw sockets (issue 16, item 4): refusals given
 * before a body arrived free the connection; streams and slow tool calls outlive the request
 * timeouts; the metrics listener has the same header deadline. Bounds are "deadline + 3 s".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { UNREAD_BODY_GRACE_MS, type HttpTimeouts } from '../../src/http/server.ts';
import { startStack as startBackedStack } from '../helpers/stack.ts';
import { openRaw } from '../helpers/raw-socket.ts';
import {
  ERAS,
  MCP_HEADERS,
  callTool,
  connect,
  initializeBody,
  openRawSse,
  rawRequest,
  startStack,
} from './stack.ts';

const SLACK_MS = 3000;
const SHORT: HttpTimeouts = { headerSeconds: 1, bodySeconds: 1 };
/** Past both deadlines of SHORT and a deadline check after them. */
const PAST_DEADLINES_MS = 2000 + 1500;

const head = (lines: Record<string, string>, length: number) =>
  [
    'POST /mcp HTTP/1.1',
    'Host: 127.0.0.1',
    ...Object.entries(lines).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${length}`,
    '',
    '',
  ].join('\r\n');

describe('a refusal given while the body still arrives frees the connection', () => {
  it.each([
    { status: 401, name: 'no token', headers: {}, length: 100_000 },
    {
      status: 403,
      name: 'a foreign Origin',
      headers: { Origin: 'https://evil.example' },
      length: 100_000,
    },
    {
      status: 413,
      name: 'a declared length over the limit',
      headers: {},
      length: 2_000_000,
      token: true,
    },
    {
      status: 415,
      name: 'an unknown encoding',
      headers: { 'Content-Encoding': 'zip' },
      length: 100_000,
      token: true,
    },
  ])('$status for $name: the answer first, then cut well before the body timeout', async (c) => {
    // A body timeout far away: what closes the connection must be the refusal.
    const stack = await startStack({ httpTimeouts: { headerSeconds: 1, bodySeconds: 60 } });
    const auth = c.token === true ? { Authorization: `Bearer ${await stack.token()}` } : {};
    const conn = await openRaw(stack.gateway.url);
    conn.write(head({ ...MCP_HEADERS, ...auth, ...c.headers }, c.length) + '{"jsonrpc":');
    conn.trickle(' ', 200);
    await conn.waitFor(new RegExp(`^HTTP/1\\.1 ${c.status} [^]*\\}$`));
    expect(await conn.closed).toBeLessThan(UNREAD_BODY_GRACE_MS + SLACK_MS);
    expect(conn.received()).toMatch(new RegExp(`^HTTP/1\\.1 ${c.status} `));
    expect(stack.front.requests).toEqual([]);
  });
});

describe('what the request timeouts leave alone', () => {
  it('a legacy SSE stream outlives them and still carries answers', async () => {
    const stack = await startStack({ httpTimeouts: SHORT });
    const token = await stack.token();
    const sse = await openRawSse(stack.gateway.url, token);
    await sleep(PAST_DEADLINES_MS);
    const posted = await rawRequest(`${stack.gateway.url}${sse.endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: initializeBody(7),
    });
    expect(posted.status).toBe(202);
    expect(await sse.nextMessage()).toMatchObject({ id: 7, result: { serverInfo: {} } });
  });

  it('a GET /mcp stream outlives them, until its session ends', async () => {
    const stack = await startStack({ httpTimeouts: SHORT });
    const authorization = `Bearer ${await stack.token()}`;
    const opened = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: authorization },
      body: initializeBody(),
    });
    const sessionId = opened.headers.get('mcp-session-id') ?? '';
    expect(sessionId).not.toBe('');
    const conn = await openRaw(stack.gateway.url);
    conn.write(
      [
        'GET /mcp HTTP/1.1',
        'Host: 127.0.0.1',
        'Accept: text/event-stream',
        `Authorization: ${authorization}`,
        `Mcp-Session-Id: ${sessionId}`,
        'Mcp-Protocol-Version: 2025-06-18',
        '',
        '',
      ].join('\r\n'),
    );
    await conn.waitFor(/^HTTP\/1\.1 200 [^]*text\/event-stream/i);
    await sleep(PAST_DEADLINES_MS);
    expect(conn.isClosed()).toBe(false);
    const ended = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'DELETE',
      headers: { Authorization: authorization, 'Mcp-Session-Id': sessionId },
    });
    expect(ended.status).toBe(200);
    // The stream's last chunk: the answer ends, its keep-alive connection may stay.
    await conn.waitFor(/\r\n0\r\n\r\n$/);
  });

  it('tool calls slower than them complete, in every era', async () => {
    const stack = await startStack({ httpTimeouts: SHORT });
    stack.front.arm({ method: 'GET', path: '/v1/notes', action: { kind: 'delay', ms: 3000 } });
    const token = await stack.token();
    const results = await Promise.all(
      ERAS.map(async (era) =>
        callTool(await connect(stack.gateway.url, token, era), 'list_notes', {}),
      ),
    );
    for (const result of results) expect(result.isError).toBe(false);
  });
});

describe('the metrics listener', () => {
  it('closes a header trickle after the same headers timeout', async () => {
    const { gateway } = await startBackedStack({ metricsPort: 0, httpTimeouts: SHORT });
    const conn = await openRaw(new URL(gateway.metricsUrl ?? '').origin);
    conn.write('GET /metrics HTTP/1.1\r\n');
    conn.trickle('X-Slow: a\r\n', 200);
    const elapsed = await conn.closed;
    expect(elapsed).toBeLessThan(1000 + SLACK_MS);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
  });
});
