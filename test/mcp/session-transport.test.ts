/**
 * 2025-era sessions on the wire (src/mcp/session-transport.ts, session-routes.ts): calls end with
 * their cancellation, their client or their session; a session is rebuilt from its record alone.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { echo, rpc, sendRaw, startApp, type Seen } from '../helpers/direct-apps.ts';
import { stackToken } from '../helpers/stack.ts';

interface Session {
  id: string;
  token: string;
}

/** One raw request in a 2025-era session (an empty override leaves that header out). */
function send(
  url: string,
  session: Session,
  body: unknown,
  overrides: Record<string, string> = {},
  method = 'POST',
  signal?: AbortSignal,
): Promise<Seen> {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
    'mcp-session-id': session.id,
    ...overrides,
  };
  return sendRaw(url, {
    token: session.token,
    headers,
    body,
    method,
    ownSession: session.id,
    ...(signal === undefined ? {} : { signal }),
  });
}

/** initialize, then notifications/initialized (202): a ready 2025-era session. */
async function openSession(url: string, sub = 'user-1'): Promise<Session> {
  const token = await stackToken({ sub });
  const params = {
    protocolVersion: '2025-06-18',
    capabilities: { roots: {} },
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

const notFound = (id: number | null) =>
  `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":${String(id)}}`;
const cancel = (requestId: number) => ({
  jsonrpc: '2.0',
  method: 'notifications/cancelled',
  params: { requestId, reason: 'user cancelled' },
});
const wait = (id: number) => rpc(id, { name: 'wait_tool', arguments: {} });

/** A session with wait_tool calls `ids` running, each in its own POST. */
async function inFlight(...ids: number[]) {
  const app = await startApp(false);
  const session = await openSession(app.url);
  const running: { id: number; call: Promise<Seen>; signal: AbortSignal }[] = [];
  for (const id of ids) {
    const started = app.nextWait();
    const call = send(app.url, session, wait(id));
    running.push({ id, call, signal: await started });
  }
  return { app, session, running };
}

describe('a call in flight ends', () => {
  it('with 202 and no body when notifications/cancelled names it; the drain is free', async () => {
    const { app, session, running } = await inFlight(41);
    expect((await send(app.url, session, cancel(41))).status).toBe(202);
    expect(running[0]?.signal.aborted).toBe(true);
    const answer = await running[0]?.call;
    expect(answer?.status).toBe(202);
    expect(answer?.text).toBe('');
    expect(await app.drain.settle(2_000)).toBe(true);
  });

  it.each([
    {
      name: 'an Accept the SDK refuses (406)',
      body: cancel(46),
      headers: { accept: 'application/json' },
      status: 406,
    },
    {
      name: 'a message that is not JSON-RPC 2.0 (400)',
      body: { ...cancel(46), jsonrpc: '1.0' },
      headers: {},
      status: 400,
    },
    {
      name: 'a batch with an invalid element (400)',
      body: [cancel(46), { jsonrpc: '2.0', nonsense: true }],
      headers: {},
      status: 400,
    },
    {
      name: 'an unsupported protocol version (400)',
      body: cancel(46),
      headers: { 'mcp-protocol-version': '1999-01-01' },
      status: 400,
    },
  ])('not by a cancellation in a POST that is refused: $name', async (refusal) => {
    const { app, session, running } = await inFlight(46);
    expect((await send(app.url, session, refusal.body, refusal.headers)).status).toBe(
      refusal.status,
    );
    expect(running[0]?.signal.aborted).toBe(false);
    expect((await send(app.url, session, cancel(46))).status).toBe(202);
    expect((await running[0]?.call)?.status).toBe(202);
  });

  it('not by a cancellation naming another id; then with 404 and its id when the session ends', async () => {
    const { app, session, running } = await inFlight(42);
    await send(app.url, session, cancel(99));
    expect(running[0]?.signal.aborted).toBe(false);
    expect((await send(app.url, session, undefined, {}, 'DELETE')).status).toBe(200);
    expect(running[0]?.signal.aborted).toBe(true);
    const answer = await running[0]?.call;
    expect(answer?.status).toBe(404);
    expect(answer?.headers['content-type']).toBe('application/json');
    expect(answer?.headers['mcp-session-id']).toBeUndefined();
    expect(answer?.text).toBe(notFound(42));
    const after = await send(app.url, session, rpc(45, echo({})));
    expect(after.status).toBe(404);
    expect(after.text).toBe(notFound(null));
    expect(await app.drain.settle(2_000)).toBe(true);
  });

  it('alone: a cancellation ends only its own call, DELETE the rest', async () => {
    const { app, session, running } = await inFlight(51, 52, 53);
    // An id still in flight cannot be used again: its answer would have nowhere to go.
    const reused = await send(app.url, session, rpc(52, echo({})));
    expect(reused.status).toBe(400);
    expect(reused.text).toContain('still in use');
    await send(app.url, session, cancel(52));
    expect(running.map(({ signal }) => signal.aborted)).toEqual([false, true, false]);
    expect((await running[1]?.call)?.status).toBe(202);
    await send(app.url, session, undefined, {}, 'DELETE');
    expect(running.map(({ signal }) => signal.aborted)).toEqual([true, true, true]);
    for (const entry of [running[0], running[2]]) {
      expect((await entry?.call)?.text).toBe(notFound(entry?.id ?? null));
    }
  });

  it('when its client goes away: the call is cancelled through the protocol layer', async () => {
    const app = await startApp(false);
    const session = await openSession(app.url);
    const started = app.nextWait();
    const leave = new AbortController();
    const call = send(app.url, session, wait(55), {}, 'POST', leave.signal).catch(() => 'left');
    const signal = await started;
    leave.abort();
    expect(await call).toBe('left');
    await expect.poll(() => signal.aborted).toBe(true);
    expect(await app.drain.settle(2_000)).toBe(true);
    // The session goes on.
    expect((await send(app.url, session, rpc(56, echo({})))).status).toBe(200);
  });
});

describe('a batch', () => {
  it('ends 202 once every request in it was cancelled', async () => {
    const app = await startApp(false);
    const session = await openSession(app.url);
    const first = app.nextWait();
    const second = app.nextWait();
    const call = send(app.url, session, [wait(71), wait(72)]);
    const signals = await Promise.all([first, second]);
    await send(app.url, session, cancel(71));
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false]);
    await send(app.url, session, cancel(72));
    expect((await call).status).toBe(202);
  });

  it('with one request cancelled answers the others, without the cancelled one', async () => {
    const app = await startApp(false);
    const session = await openSession(app.url);
    const started = app.nextWait();
    const call = send(app.url, session, [wait(81), rpc(82, echo({ b: 2 }))]);
    const signal = await started;
    expect((await send(app.url, session, cancel(81))).status).toBe(202);
    expect(signal.aborted).toBe(true);
    const answer = await call;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject([{ jsonrpc: '2.0', id: 82 }]);
    expect(answer.text).toContain('"echoed":{"b":2}');
  });
});

describe('the GET stream', () => {
  it('is one per session: a second GET is 409 while the first is open, 200 once it closed', async () => {
    const app = await startApp(false);
    const session = await openSession(app.url);
    const headers = {
      authorization: `Bearer ${session.token}`,
      accept: 'text/event-stream',
      'mcp-session-id': session.id,
    };
    const first = new AbortController();
    const open = await fetch(app.url, { headers, signal: first.signal });
    expect(open.status).toBe(200);
    expect(open.headers.get('content-type')).toBe('text/event-stream');
    const second = await send(app.url, session, undefined, { accept: 'text/event-stream' }, 'GET');
    expect(second.status).toBe(409);
    expect(second.text).toContain('Only one SSE stream is allowed per session');
    first.abort();
    await expect
      .poll(async () => {
        const again = await fetch(app.url, { headers });
        await again.body?.cancel();
        return again.status;
      })
      .toBe(200);
  });
});

describe('sessions are records', () => {
  it("another principal's request for the session is 404, and no tool runs", async () => {
    const app = await startApp(false);
    const owner = await openSession(app.url);
    const intruder = { id: owner.id, token: await stackToken({ sub: 'intruder' }) };
    const refused = await send(app.url, intruder, rpc(43, echo({ steal: true })));
    expect(refused.status).toBe(404);
    expect(refused.text).toBe(notFound(null));
    expect((await send(app.url, intruder, undefined, {}, 'DELETE')).status).toBe(404);
    expect(app.counts).toEqual({ direct: 0, sdk: 0 });
    expect((await send(app.url, owner, rpc(44, echo({})))).status).toBe(200);
  });

  it('a process that holds only the record rebuilds the session and serves it', async () => {
    const first = await startApp(false);
    const second = await startApp(false, first.store);
    const session = await openSession(first.url);
    expect(second.sessions.count()).toBe(0);
    const answer = await send(second.url, session, rpc(7, echo({ a: 1 })));
    expect(answer.status).toBe(200);
    expect(answer.headers['mcp-session-id']).toBe('<own>');
    expect(JSON.parse(answer.text)).toMatchObject({ jsonrpc: '2.0', id: 7 });
    expect(second.counts).toEqual({ direct: 0, sdk: 1 });
    expect(second.sessions.count()).toBe(1);
    // The rebuilt session is initialized: a second initialize is refused as on the first.
    const again = await send(second.url, session, {
      jsonrpc: '2.0',
      id: 8,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'x', version: '1' },
      },
    });
    expect(again.status).toBe(400);
    // Ending it on either process ends it for both.
    expect((await send(second.url, session, undefined, {}, 'DELETE')).status).toBe(200);
    expect((await send(first.url, session, rpc(9, echo({})))).status).toBe(404);
  });
});
