import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { plainToolCall } from '../../src/mcp/plain-call.ts';
import {
  DIRECT,
  echo,
  expectSameAnswer,
  rpc,
  sdk,
  sendRaw,
  startBoth,
  startApp,
  type Counts,
  type Seen,
} from '../helpers/direct-apps.ts';
import { stackToken } from '../helpers/stack.ts';

/** One raw request in a 2025-era session (an empty override leaves that header out). */
function send(
  url: string,
  session: { id: string; token: string },
  body: unknown,
  overrides: Record<string, string> = {},
  method = 'POST',
): Promise<Seen> {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
    'mcp-session-id': session.id,
    ...overrides,
  };
  return sendRaw(url, { token: session.token, headers, body, method, ownSession: session.id });
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

describe('plainToolCall', () => {
  const known = (name: string) => name === 'echo_tool';

  it.each([
    ['a numeric id', rpc(1, echo({ a: 1 })), { id: 1, name: 'echo_tool', args: { a: 1 } }],
    ['a string id', rpc('x', echo({})), { id: 'x', name: 'echo_tool', args: {} }],
    ['no arguments', rpc(2, { name: 'echo_tool' }), { id: 2, name: 'echo_tool', args: undefined }],
    [
      'an empty _meta',
      rpc(3, { ...echo({}), _meta: {} }),
      { id: 3, name: 'echo_tool', args: {}, meta: {} },
    ],
    [
      'an inert _meta key',
      rpc(4, { ...echo({}), _meta: { 'x.dev/trace': 't' } }),
      { id: 4, name: 'echo_tool', args: {}, meta: { 'x.dev/trace': 't' } },
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

const cases: Case[] = [
  ['a call with arguments and a numeric id', DIRECT, rpc(1, echo({ a: 1, b: 'x' }))],
  ['a string id', DIRECT, rpc('call-2', echo({ n: [1, 2] }))],
  ['no arguments key', DIRECT, rpc(3, { name: 'echo_tool' })],
  ['an empty _meta', DIRECT, rpc(4, { ...echo({}), _meta: {} })],
  ['a failing tool', DIRECT, rpc(5, { name: 'fail_tool', arguments: {} })],
  ['a result built in another key order', DIRECT, rpc(40, { name: 'unordered_tool' })],
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
    const [directOn, sdkOnly] = await startBoth();
    const [a, b] = await Promise.all([openSession(directOn.url), openSession(sdkOnly.url)]);
    const direct = await send(directOn.url, a, body, headers);
    const viaSdk = await send(sdkOnly.url, b, body, headers);

    expect(directOn.counts).toEqual(path);
    expect(sdkOnly.counts).toEqual({ direct: 0, sdk: path.direct + path.sdk });
    expectSameAnswer(direct, viaSdk);
  });
});

const notFound = (id: number | null) =>
  `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":${String(id)}}`;

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

  it.each([
    {
      name: 'an Accept the transport refuses (406)',
      body: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 46 } },
      headers: { accept: 'application/json' },
      status: 406,
    },
    {
      name: 'a message that is not JSON-RPC 2.0 (400)',
      body: { jsonrpc: '1.0', method: 'notifications/cancelled', params: { requestId: 46 } },
      headers: {},
      status: 400,
    },
    {
      name: 'a batch with an invalid element (400)',
      body: [
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 46 } },
        { jsonrpc: '2.0', nonsense: true },
      ],
      headers: {},
      status: 400,
    },
  ])('a cancellation in a POST the SDK refuses cancels nothing: $name', async (refusal) => {
    const { app, session, call, signal } = await inFlight(46);
    const refused = await send(app.url, session, refusal.body, refusal.headers);
    expect(refused.status).toBe(refusal.status);
    expect(signal.aborted).toBe(false);
    // The call still ends by a cancellation the SDK accepts.
    const cancel = await send(app.url, session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 46 },
    });
    expect(cancel.status).toBe(202);
    expect((await call).status).toBe(202);
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

  it('with several calls in flight, a cancellation ends only its own and DELETE the rest', async () => {
    const app = await startApp(true);
    const session = await openSession(app.url);
    const running: { id: number; call: ReturnType<typeof send>; signal: AbortSignal }[] = [];
    for (const id of [51, 52, 53]) {
      const started = app.nextWait();
      const call = send(app.url, session, rpc(id, { name: 'wait_tool', arguments: {} }));
      running.push({ id, call, signal: await started });
    }
    // An id still in flight is left to the SDK, which answers it itself.
    const reused = await send(app.url, session, rpc(52, echo({})));
    expect(reused.status).toBe(200);
    expect(app.counts).toEqual({ direct: 3, sdk: 1 });

    const cancel = await send(app.url, session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 52 },
    });
    expect(cancel.status).toBe(202);
    expect(running.map(({ signal }) => signal.aborted)).toEqual([false, true, false]);
    expect((await running[1]?.call)?.status).toBe(202);

    const ended = await send(app.url, session, undefined, {}, 'DELETE');
    expect(ended.status).toBe(200);
    expect(running.map(({ signal }) => signal.aborted)).toEqual([true, true, true]);
    for (const { id, call } of [running[0], running[2]].filter((entry) => entry !== undefined)) {
      const answer = await call;
      expect(answer.status).toBe(404);
      expect(answer.text).toBe(notFound(id));
    }
    expect(app.counts).toEqual({ direct: 3, sdk: 1 });
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

describe('calls the SDK answers end with their session or their cancellation too', () => {
  // A progress token leaves the call to the SDK's transport, which in JSON-response mode would
  // otherwise never answer a cancelled call, nor one whose session ended (sdk-pending.ts).
  const withProgress = (id: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'wait_tool', arguments: {}, _meta: { progressToken: `p-${String(id)}` } },
  });

  async function inFlightOnSdk(id: number) {
    const app = await startApp(true);
    const session = await openSession(app.url);
    const started = app.nextWait();
    const call = send(app.url, session, withProgress(id));
    const signal = await started;
    expect(app.counts).toEqual(sdk(1));
    return { app, session, call, signal };
  }

  it('notifications/cancelled ends the POST with 202, and the drain is not held', async () => {
    const { app, session, call, signal } = await inFlightOnSdk(61);
    const cancel = await send(app.url, session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 61 },
    });
    expect(cancel.status).toBe(202);
    expect(signal.aborted).toBe(true);
    const answer = await call;
    expect(answer.status).toBe(202);
    expect(answer.text).toBe('');
    expect(await app.drain.settle(2_000)).toBe(true);
  });

  it('a cancellation naming another id leaves the call running', async () => {
    const { app, session, call, signal } = await inFlightOnSdk(62);
    await send(app.url, session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 99 },
    });
    expect(signal.aborted).toBe(false);
    const ended = await send(app.url, session, undefined, {}, 'DELETE');
    expect(ended.status).toBe(200);
    expect((await call).status).toBe(404);
  });

  it('DELETE of the session ends the POST with 404 Session not found', async () => {
    const { app, session, call, signal } = await inFlightOnSdk(63);
    const ended = await send(app.url, session, undefined, {}, 'DELETE');
    expect(ended.status).toBe(200);
    expect(signal.aborted).toBe(true);
    const answer = await call;
    expect(answer.status).toBe(404);
    expect(answer.text).toBe(notFound(null));
    expect(await app.drain.settle(2_000)).toBe(true);
  });

  it('a batch ends once every request in it was cancelled', async () => {
    const app = await startApp(true);
    const session = await openSession(app.url);
    const first = app.nextWait();
    const second = app.nextWait();
    const call = send(app.url, session, [withProgress(71), withProgress(72)]);
    const signals = await Promise.all([first, second]);
    const cancel = (requestId: number) =>
      send(app.url, session, {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId },
      });
    await cancel(71);
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false]);
    await cancel(72);
    expect((await call).status).toBe(202);
  });

  it('a batch with one request cancelled answers the others, without the cancelled one', async () => {
    const app = await startApp(true);
    const session = await openSession(app.url);
    const started = app.nextWait();
    const echoWithProgress = {
      ...withProgress(82),
      params: { name: 'echo_tool', arguments: { b: 2 }, _meta: { progressToken: 'p-82' } },
    };
    const call = send(app.url, session, [withProgress(81), echoWithProgress]);
    const signal = await started;
    const cancel = await send(app.url, session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 81 },
    });
    expect(cancel.status).toBe(202);
    expect(signal.aborted).toBe(true);
    const answer = await call;
    expect(answer.status).toBe(200);
    const body: unknown = JSON.parse(answer.text);
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(1);
    expect(body).toMatchObject([{ jsonrpc: '2.0', id: 82 }]);
    expect(answer.text).toContain('"echoed":{"b":2}');
    expect(await app.drain.settle(2_000)).toBe(true);
  });

  it('an SDK-path call that is not cancelled still gets its answer', async () => {
    const app = await startApp(true);
    const session = await openSession(app.url);
    const answer = await send(app.url, session, {
      ...withProgress(64),
      params: { name: 'echo_tool', arguments: { a: 1 }, _meta: { progressToken: 'p' } },
    });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('"echoed":{"a":1}');
    expect(app.counts).toEqual(sdk(1));
  });
});
