import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../../src/app.ts';
import { createIdentityResolver } from '../../src/auth/identity.ts';
import { createClientVerifier } from '../../src/auth/verifier.ts';
import { createDrain } from '../../src/drain.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { plainToolCall } from '../../src/mcp/direct-call.ts';
import { SERVER_NAME, createServerFactory } from '../../src/mcp/server.ts';
import { createSessionRegistry } from '../../src/mcp/sessions.ts';
import { createToolCaller, type ToolCaller } from '../../src/mcp/tool-call.ts';
import type { ToolResult, ToolRuntime } from '../../src/tools/index.ts';
import { listen, onCleanup } from '../helpers/loopback.ts';
import { STACK_JWT_SECRET, stackToken } from '../helpers/stack.ts';

const schema = { type: 'object' };
const definition = (name: string) => ({
  name,
  description: name,
  inputSchema: schema,
  outputSchema: schema,
});

/** The stack's HS256 verifier: tokens from stackToken() verify, tenant pinned. */
const verify = createClientVerifier({
  mode: 'jwt',
  jwtSecret: STACK_JWT_SECRET,
  tenantClaim: 'tenant_id',
  pinnedTenant: 'stack-tenant',
});

/** Deterministic tools: echo (structured from its arguments), fail (isError), wait (until aborted). */
function fakeTools(waiting: ((signal: AbortSignal) => void)[]): ToolRuntime {
  const names = new Set(['echo_tool', 'fail_tool', 'wait_tool']);
  return {
    definitions: [...names].map(definition),
    has: (name) => names.has(name),
    call: (name, args, { signal }): Promise<ToolResult> => {
      if (name === 'fail_tool') {
        return Promise.resolve({ content: [{ type: 'text', text: 'it failed' }], isError: true });
      }
      if (name === 'wait_tool' && signal !== undefined) {
        waiting.shift()?.(signal);
        return new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            resolve({ content: [{ type: 'text', text: 'aborted' }], isError: true });
          });
        });
      }
      const structured = { echoed: args ?? '(none)' };
      const text = JSON.stringify(structured);
      return Promise.resolve({ content: [{ type: 'text', text }], structuredContent: structured });
    },
  };
}

type Counts = { direct: number; sdk: number };

const counting = (base: ToolCaller, counts: Counts, path: keyof Counts): ToolCaller => ({
  has: (name) => base.has(name),
  call: (...args) => {
    counts[path] += 1;
    return base.call(...args);
  },
});

const serverInfo = { name: SERVER_NAME, version: '0.0.0-test' };

/** A gateway app on loopback: with `direct`, plain tools/calls skip the SDK. */
async function startApp(direct: boolean) {
  const logger = createLogger({ level: 'silent' });
  const waiting: ((signal: AbortSignal) => void)[] = [];
  const deps = {
    tools: fakeTools(waiting),
    identityFor: createIdentityResolver(undefined),
    logger,
  };
  const base = createToolCaller(deps);
  const counts: Counts = { direct: 0, sdk: 0 };
  const sessions = createSessionRegistry({ idleMs: 60_000, max: 10 });
  onCleanup(() => sessions.closeAll());
  const sources = {
    sessions: () => ({ streamable: sessions.count(), sse: 0 }),
    pool: () => undefined,
  };
  const app = createApp({
    logger,
    verify,
    newServer: createServerFactory(
      { ...deps, version: serverInfo.version },
      counting(base, counts, 'sdk'),
    ),
    direct: direct ? { caller: counting(base, counts, 'direct'), serverInfo } : undefined,
    sessions,
    allowedOrigins: [],
    bindHost: '127.0.0.1',
    maxBodyBytes: 1024 * 1024,
    health: {
      backendUrl: 'http://127.0.0.1:9',
      warnings: [],
      drain: createDrain(),
      metrics: createMetrics(sources),
    },
  });
  const url = `${await listen(createServer(app))}/mcp`;
  /** Resolves with the signal of the next wait_tool call once it runs. */
  const nextWait = () => {
    const { promise, resolve } = Promise.withResolvers<AbortSignal>();
    waiting.push(resolve);
    return promise;
  };
  return { url, counts, nextWait };
}

interface Seen {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * Sends one raw request (an empty override leaves that header out). The answer's headers are
 * normalised: the session's own id reads `<own>`; date and the random request id are dropped.
 */
async function send(
  url: string,
  session: { id: string; token: string },
  body: unknown,
  overrides: Record<string, string> = {},
  method = 'POST',
): Promise<Seen> {
  const all: Record<string, string> = {
    authorization: `Bearer ${session.token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
    'mcp-session-id': session.id,
    ...overrides,
  };
  const response = await fetch(url, {
    method,
    headers: Object.entries(all).filter(([, value]) => value !== ''),
    ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) {
    if (name === 'date' || name === 'x-request-id') continue;
    headers[name] = name === 'mcp-session-id' && value === session.id ? '<own>' : value;
  }
  // No answer, on either path, ever carries the caller's token or the signing secret.
  for (const secret of [session.token, STACK_JWT_SECRET]) {
    expect(text).not.toContain(secret);
    expect(JSON.stringify(headers)).not.toContain(secret);
  }
  return { status: response.status, headers, text };
}

/** initialize, then notifications/initialized (202): a ready 2025-era session. */
async function openSession(url: string, sub = 'user-1') {
  const token = await stackToken({ sub });
  const params = {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  };
  const init = await send(
    url,
    { id: '', token },
    { jsonrpc: '2.0', id: 0, method: 'initialize', params },
  );
  expect(init.status).toBe(200);
  const id = z.uuid().parse(init.headers['mcp-session-id']);
  const session = { id, token };
  const ready = await send(url, session, { jsonrpc: '2.0', method: 'notifications/initialized' });
  expect(ready.status).toBe(202);
  return session;
}

const rpc = (id: unknown, params: unknown) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params,
});
const echo = (args: unknown) => ({ name: 'echo_tool', arguments: args });

describe('plainToolCall', () => {
  const known = (name: string) => name === 'echo_tool';

  it.each([
    ['a numeric id', rpc(1, echo({ a: 1 })), { id: 1, name: 'echo_tool', args: { a: 1 } }],
    ['a string id', rpc('x', echo({})), { id: 'x', name: 'echo_tool', args: {} }],
    ['no arguments', rpc(2, { name: 'echo_tool' }), { id: 2, name: 'echo_tool', args: undefined }],
    ['an empty _meta', rpc(3, { ...echo({}), _meta: {} }), { id: 3, name: 'echo_tool', args: {} }],
    [
      'an inert _meta key',
      rpc(4, { ...echo({}), _meta: { 'x.dev/trace': 't' } }),
      { id: 4, name: 'echo_tool', args: {} },
    ],
  ])('accepts %s', (_name, body, expected) => {
    expect(plainToolCall(body, known)).toEqual(expected);
  });

  it.each([
    ['a batch', [rpc(1, echo({}))]],
    ['an extra top-level key', { ...rpc(1, echo({})), extra: true }],
    ['jsonrpc 1.0', { ...rpc(1, echo({})), jsonrpc: '1.0' }],
    ['a null id', rpc(null, echo({}))],
    ['a fractional id', rpc(1.5, echo({}))],
    ['a boolean id', rpc(true, echo({}))],
    ['no id', { jsonrpc: '2.0', method: 'tools/call', params: echo({}) }],
    ['another method', { ...rpc(1, echo({})), method: 'tools/list' }],
    ['no params', { jsonrpc: '2.0', id: 1, method: 'tools/call' }],
    ['params not an object', rpc(1, 'echo_tool')],
    ['an extra params key (task)', rpc(1, { ...echo({}), task: { ttl: 1 } })],
    ['an unknown tool', rpc(1, { name: 'nope', arguments: {} })],
    ['a non-string name', rpc(1, { name: 7, arguments: {} })],
    ['arguments as an array', rpc(1, echo([1]))],
    ['arguments as a string', rpc(1, echo('a'))],
    ['arguments null', rpc(1, echo(null))],
    ['a progress token', rpc(1, { ...echo({}), _meta: { progressToken: 1 } })],
    [
      'a protocol _meta key',
      rpc(1, { ...echo({}), _meta: { 'io.modelcontextprotocol/related-task': {} } }),
    ],
    ['_meta not an object', rpc(1, { ...echo({}), _meta: 'm' })],
    ['an id beyond the safe integers', rpc(2 ** 53, echo({}))],
    ['arguments with an own __proto__ key', rpc(1, echo(JSON.parse('{"__proto__":{"x":1}}')))],
  ])('rejects %s', (_name, body) => {
    expect(plainToolCall(body, known)).toBeUndefined();
  });
});

/** Name, the ToolCaller calls each path makes in the direct-on app, body, header overrides. */
type Case = [string, Counts, unknown, Record<string, string>?];
const DIRECT = { direct: 1, sdk: 0 };
const sdk = (calls: number) => ({ direct: 0, sdk: calls });

const cases: Case[] = [
  ['a call with arguments and a numeric id', DIRECT, rpc(1, echo({ a: 1, b: 'x' }))],
  ['a string id', DIRECT, rpc('call-2', echo({ n: [1, 2] }))],
  ['no arguments key', DIRECT, rpc(3, { name: 'echo_tool' })],
  ['an empty _meta', DIRECT, rpc(4, { ...echo({}), _meta: {} })],
  ['a failing tool', DIRECT, rpc(5, { name: 'fail_tool', arguments: {} })],
  ['unicode arguments', DIRECT, rpc(6, echo({ s: 'héllo — 日本語 🎉 \u2028 "q" \\' }))],
  ['no MCP-Protocol-Version', DIRECT, rpc(7, echo({})), { 'mcp-protocol-version': '' }],
  ['an unknown tool', sdk(0), rpc(8, { name: 'nope', arguments: {} })],
  ['arguments as an array', sdk(0), rpc(9, echo([1]))],
  ['a batch of two calls', sdk(2), [rpc(10, echo({ i: 1 })), rpc(11, echo({ i: 2 }))]],
  ['a progress token', sdk(1), rpc(12, { ...echo({}), _meta: { progressToken: 'p' } })],
  ['Accept without event-stream', sdk(0), rpc(13, echo({})), { accept: 'application/json' }],
  ['a bad version', sdk(0), rpc(14, echo({})), { 'mcp-protocol-version': '1999-01-01' }],
  ['a +json type', sdk(0), rpc(15, echo({})), { 'content-type': 'application/vnd.foo+json' }],
  ['an id beyond the safe integers', sdk(0), rpc(2 ** 53, echo({}))],
  ['an own __proto__ argument', sdk(1), rpc(16, echo(JSON.parse('{"__proto__":{"x":1},"a":2}')))],
];

describe('direct path against the SDK path, on the wire', () => {
  it.each(cases)('%s: same answer', async (_name, path, body, headers) => {
    const [directOn, sdkOnly] = await Promise.all([startApp(true), startApp(false)]);
    const [a, b] = await Promise.all([openSession(directOn.url), openSession(sdkOnly.url)]);
    const direct = await send(directOn.url, a, body, headers);
    const viaSdk = await send(sdkOnly.url, b, body, headers);

    expect(directOn.counts).toEqual(path);
    expect(sdkOnly.counts).toEqual({ direct: 0, sdk: path.direct + path.sdk });
    expect(direct.status).toBe(viaSdk.status);
    expect(direct.headers).toEqual(viaSdk.headers);
    const parse = (text: string): unknown => (text === '' ? undefined : JSON.parse(text));
    expect(parse(direct.text)).toEqual(parse(viaSdk.text));
    expect(direct.text).toBe(viaSdk.text);
  });
});

describe('direct calls end with their session or their cancellation', () => {
  /** A session with a wait_tool call `id` running on the direct path. */
  async function inFlight(id: number) {
    const app = await startApp(true);
    const session = await openSession(app.url);
    const started = app.nextWait();
    const call = send(app.url, session, rpc(id, { name: 'wait_tool', arguments: {} }));
    const signal = await started;
    expect(app.counts).toEqual(DIRECT);
    return { app, session, call, signal };
  }
  const notFound = (id: number | null) =>
    `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":${String(id)}}`;

  it('notifications/cancelled aborts the call, which ends with 202 and no body', async () => {
    const { app, session, call, signal } = await inFlight(41);
    const params = { requestId: 41, reason: 'user cancelled' };
    const cancel = await send(app.url, session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params,
    });
    expect(cancel.status).toBe(202);
    expect(signal.aborted).toBe(true);
    const answer = await call;
    expect(answer.status).toBe(202);
    expect(answer.text).toBe('');
    expect(app.counts).toEqual(DIRECT);
  });

  it('DELETE of the session aborts the call, which answers 404 Session not found with its id', async () => {
    const { app, session, call, signal } = await inFlight(42);
    const ended = await send(app.url, session, undefined, {}, 'DELETE');
    expect(ended.status).toBe(200);
    expect(signal.aborted).toBe(true);
    const answer = await call;
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['mcp-session-id']).toBeUndefined();
    expect(answer.text).toBe(notFound(42));
    const after = await send(app.url, session, rpc(45, echo({})));
    // The session is gone: the next request gets the gateway's own 404 (id null).
    expect(after.status).toBe(404);
    expect(after.text).toBe(notFound(null));
    expect(app.counts).toEqual(DIRECT);
  });

  it('another principal cannot use the session: 404, and no tool runs', async () => {
    const app = await startApp(true);
    const owner = await openSession(app.url);
    const intruder = { id: owner.id, token: await stackToken({ sub: 'intruder' }) };
    const refused = await send(app.url, intruder, rpc(43, echo({ steal: true })));
    expect(refused.status).toBe(404);
    expect(refused.text).toBe(notFound(null));
    const ended = await send(app.url, intruder, undefined, {}, 'DELETE');
    expect(ended.status).toBe(404);
    expect(app.counts).toEqual({ direct: 0, sdk: 0 });
    // The owner's session is untouched and still served directly.
    const own = await send(app.url, owner, rpc(44, echo({})));
    expect(own.status).toBe(200);
    expect(app.counts).toEqual(DIRECT);
  });
});
