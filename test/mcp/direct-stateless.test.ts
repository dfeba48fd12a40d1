import { memoryUsage } from 'node:process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  DIRECT,
  echo,
  expectSameAnswer,
  rpc,
  sdk,
  sendRaw,
  startApp,
  startBoth,
  type Counts,
} from '../helpers/direct-apps.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { STACK_JWT_SECRET, stackToken } from '../helpers/stack.ts';

const REVISION = '2026-07-28';
const PROTOCOL = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
const CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

/** The per-request envelope a 2026-07-28 client puts in `params._meta` (bench/lib/mcp.ts). */
const ENVELOPE = {
  [PROTOCOL]: REVISION,
  [CLIENT_INFO]: { name: 'x', version: '1' },
  [CAPABILITIES]: {},
};

/** A 2026-07-28 tools/call: `params` with the envelope (or `meta`) as its `_meta`. */
const call = (id: unknown, params: object, meta: object = ENVELOPE) =>
  rpc(id, { ...params, _meta: meta });

/** The standard headers for a tools/call of echo_tool (an empty override leaves one out). */
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': REVISION,
  'mcp-method': 'tools/call',
  'mcp-name': 'echo_tool',
};

/** One stateless request: no session, everything in the headers and the envelope. */
const send = (url: string, token: string, body: unknown, overrides: Record<string, string> = {}) =>
  sendRaw(url, { token, headers: { ...HEADERS, ...overrides }, body });

/** Name, the ToolCaller calls each path makes in the direct-on app, body, header overrides. */
type Case = [string, Counts, unknown, Record<string, string>?];

const withoutCapabilities = { [PROTOCOL]: REVISION, [CLIENT_INFO]: ENVELOPE[CLIENT_INFO] };
const served: Case[] = [
  ['a call with arguments and a numeric id', DIRECT, call(1, echo({ a: 1, b: 'x' }))],
  ['a string id', DIRECT, call('call-2', echo({ n: [1, 2] }))],
  ['no arguments key', DIRECT, call(3, { name: 'echo_tool' })],
  [
    'a failing tool',
    DIRECT,
    call(4, { name: 'fail_tool', arguments: {} }),
    { 'mcp-name': 'fail_tool' },
  ],
  [
    'a result built in another key order',
    DIRECT,
    call(40, { name: 'unordered_tool', arguments: {} }),
    { 'mcp-name': 'unordered_tool' },
  ],
  ['unicode arguments', DIRECT, call(5, echo({ s: 'héllo — 日本語 🎉 \u2028 "q" \\' }))],
  [
    'non-empty client capabilities',
    DIRECT,
    call(6, echo({}), { ...ENVELOPE, [CAPABILITIES]: { elicitation: {}, sampling: {} } }),
  ],
  [
    'client info with a title',
    DIRECT,
    call(7, echo({}), { ...ENVELOPE, [CLIENT_INFO]: { name: 'x', version: '1', title: 'X' } }),
  ],
];

const fallback: Case[] = [
  ['an unknown tool', sdk(0), call(10, { name: 'nope', arguments: {} }), { 'mcp-name': 'nope' }],
  ['arguments as an array', sdk(0), call(11, echo([1]))],
  [
    'a log level in _meta',
    sdk(1),
    call(12, echo({}), { ...ENVELOPE, 'io.modelcontextprotocol/logLevel': 'debug' }),
  ],
  ['a progress token in _meta', sdk(1), call(13, echo({}), { ...ENVELOPE, progressToken: 'p' })],
  ['no Mcp-Name header', sdk(0), call(14, echo({})), { 'mcp-name': '' }],
  ['Mcp-Name naming another tool', sdk(0), call(15, echo({})), { 'mcp-name': 'fail_tool' }],
  ['no Mcp-Method header', sdk(0), call(16, echo({})), { 'mcp-method': '' }],
  ['Mcp-Method naming another method', sdk(0), call(17, echo({})), { 'mcp-method': 'tools/list' }],
  ['no MCP-Protocol-Version header', sdk(0), call(18, echo({})), { 'mcp-protocol-version': '' }],
  [
    'MCP-Protocol-Version 2025-11-25',
    sdk(0),
    call(19, echo({})),
    { 'mcp-protocol-version': '2025-11-25' },
  ],
  [
    'an unsupported future revision in the envelope',
    sdk(0),
    call(20, echo({}), { ...ENVELOPE, [PROTOCOL]: '2099-01-01' }),
  ],
  [
    'an unsupported future revision in header and envelope',
    sdk(0),
    call(25, echo({}), { ...ENVELOPE, [PROTOCOL]: '2099-01-01' }),
    { 'mcp-protocol-version': '2099-01-01' },
  ],
  // Only the envelope's keys are the direct path's own check; the SDK's classifier checks values.
  [
    'client info without a version',
    sdk(0),
    call(26, echo({}), { ...ENVELOPE, [CLIENT_INFO]: { name: 'x' } }),
  ],
  ['client capabilities null', sdk(0), call(27, echo({}), { ...ENVELOPE, [CAPABILITIES]: null })],
  ['an envelope without client capabilities', sdk(0), call(21, echo({}), withoutCapabilities)],
  // The SDK's stateless entry serves these; the direct path leaves them to it (same answer).
  ['Accept without event-stream', sdk(1), call(22, echo({})), { accept: 'application/json' }],
  ['Accept */*', sdk(1), call(28, echo({})), { accept: '*/*' }],
  ['a +json type', sdk(0), call(29, echo({})), { 'content-type': 'application/vnd.foo+json' }],
  ['an id beyond the safe integers', sdk(0), call(2 ** 53, echo({}))],
  [
    'arguments with an own __proto__ key',
    sdk(1),
    call(23, echo(JSON.parse('{"__proto__":{"x":1},"a":2}'))),
  ],
  [
    'a tools/call notification (no id)',
    sdk(0),
    { jsonrpc: '2.0', method: 'tools/call', params: { ...echo({}), _meta: ENVELOPE } },
  ],
  [
    'tools/list',
    sdk(0),
    { jsonrpc: '2.0', id: 30, method: 'tools/list', params: { _meta: ENVELOPE } },
    { 'mcp-method': 'tools/list', 'mcp-name': '' },
  ],
  ['no Authorization', sdk(0), call(24, echo({})), { authorization: '' }],
];

/** Sends `body` to both apps and checks the direct-on app's paths and that both answers match. */
async function compare(path: Counts, body: unknown, headers?: Record<string, string>) {
  const token = await stackToken({ sub: 'user-1' });
  const [directOn, sdkOnly] = await startBoth();
  const direct = await send(directOn.url, token, body, headers);
  const viaSdk = await send(sdkOnly.url, token, body, headers);
  expect(directOn.counts).toEqual(path);
  expect(sdkOnly.counts).toEqual(sdk(path.direct + path.sdk));
  expectSameAnswer(direct, viaSdk);
  return direct;
}

describe('2026-07-28 direct path against the SDK path, on the wire', () => {
  it.each(served)('%s: served directly, same answer', async (_name, path, body, headers) => {
    const answer = await compare(path, body, headers);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    const stamp = { resultType: 'complete', _meta: { [SERVER_INFO]: { name: 'ToolBridge' } } };
    expect(JSON.parse(answer.text)).toMatchObject({ jsonrpc: '2.0', result: stamp });
  });

  it.each(fallback)('%s: left to the SDK, same answer', async (_name, path, body, headers) => {
    await compare(path, body, headers);
  });
});

describe('with the envelope already accepted once (remembered verdict)', () => {
  it('every fallback case still goes to the SDK, and every served case is still served', async () => {
    const token = await stackToken({ sub: 'user-1' });
    const [directOn, sdkOnly] = await startBoth();
    const expected: Counts = { direct: 0, sdk: 0 };
    const both = async (path: Counts, body: unknown, headers?: Record<string, string>) => {
      const direct = await send(directOn.url, token, body, headers);
      const viaSdk = await send(sdkOnly.url, token, body, headers);
      expected.direct += path.direct;
      expected.sdk += path.sdk;
      expect(directOn.counts).toEqual(expected);
      expectSameAnswer(direct, viaSdk);
    };
    // Classified once and remembered: ENVELOPE is what most cases below carry.
    await both(DIRECT, call(100, echo({ first: true })));
    for (const [, path, body, headers] of fallback) await both(path, body, headers);
    for (const [, path, body, headers] of served) await both(path, body, headers);
  });
});

describe('the SDK client in 2026-07-28 mode', () => {
  it('has its tools/call served by the direct path', async () => {
    const app = await startApp(true);
    const token = await stackToken({ sub: 'user-1' });
    const client = new Client(
      { name: 'direct-stateless', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: REVISION } } },
    );
    const transport = new StreamableHTTPClientTransport(new URL(app.url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    onCleanup(() => client.close().catch(() => undefined));
    expect(client.getNegotiatedProtocolVersion()).toBe(REVISION);

    const result = await client.callTool({ name: 'echo_tool', arguments: { q: 'é', n: [1] } });
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ echoed: { q: 'é', n: [1] } });
    expect(app.counts).toEqual(DIRECT);
    const failed = await client.callTool({ name: 'fail_tool', arguments: {} });
    expect(failed.isError).toBe(true);
    expect(app.counts).toEqual({ direct: 2, sdk: 0 });
  });
});

describe('a 2026-07-28 call whose client goes away', () => {
  it.each([
    ['the direct path', true, DIRECT],
    ['the SDK path', false, sdk(1)],
  ])('on %s has its tool call aborted promptly', async (_name, direct, path) => {
    const app = await startApp(direct);
    const token = await stackToken({ sub: 'user-1' });
    const started = app.nextWait();
    const controller = new AbortController();
    const answer = sendRaw(app.url, {
      token,
      headers: { ...HEADERS, 'mcp-name': 'wait_tool' },
      body: call(60, { name: 'wait_tool', arguments: {} }),
      signal: controller.signal,
    });
    const signal = await started;
    expect(app.counts).toEqual(path);
    expect(signal.aborted).toBe(false);

    controller.abort();
    await expect(answer).rejects.toMatchObject({ name: 'AbortError' });
    await vi.waitFor(
      () => {
        expect(signal.aborted).toBe(true);
      },
      { timeout: 1000, interval: 5 },
    );
    // The app carries on: the next call is answered on the same path.
    const next = await send(app.url, token, call(61, echo({})));
    expect(next.status).toBe(200);
    expect(app.counts).toEqual({ direct: path.direct * 2, sdk: path.sdk * 2 });
  });
});

describe('secrets', () => {
  it('no answer, on either path, carries the token or the signing secret', async () => {
    const token = await stackToken({ sub: 'user-1' });
    const [directOn, sdkOnly] = await startBoth();
    const requests: [string, unknown, Record<string, string>][] = [
      [token, call(70, echo({ a: 1 })), {}],
      [token, call(71, { name: 'fail_tool' }), { 'mcp-name': 'fail_tool' }],
      [token, call(72, { name: 'nope' }), { 'mcp-name': 'nope' }],
      [token, call(73, echo({})), { 'mcp-name': 'fail_tool' }],
      [`${token}x`, call(74, echo({})), {}],
    ];
    for (const app of [directOn, sdkOnly]) {
      for (const [bearer, body, headers] of requests) {
        const seen = await send(app.url, bearer, body, headers);
        const all = `${seen.text}${JSON.stringify(seen.headers)}`;
        expect(all).not.toContain(token);
        expect(all).not.toContain(STACK_JWT_SECRET);
      }
    }
    expect(directOn.counts).toEqual({ direct: 2, sdk: 0 });
    expect(sdkOnly.counts).toEqual(sdk(2));
  });
});

describe('remembered envelopes', () => {
  it('hold no more than about a megabyte, whatever envelopes callers send', async () => {
    const token = await stackToken({ sub: 'user-1' });
    const app = await startApp(true);
    setFlagsFromString('--expose-gc');
    const gc = z.function().parse(runInNewContext('gc'));
    const heapAfterGc = () => {
      gc();
      gc();
      return memoryUsage().heapUsed;
    };
    // Warm-up with a small envelope, so the baseline holds what any served call leaves behind.
    await send(app.url, token, call(80, echo({})));
    const before = heapAfterGc();
    // Each envelope is distinct and about 900 KiB; 64 of them are 58 MB of text.
    const padding = 'x'.repeat(900 * 1024);
    for (let i = 0; i < 64; i += 1) {
      const meta = { ...ENVELOPE, [CLIENT_INFO]: { name: `${i}${padding}`, version: '1' } };
      const answer = await send(app.url, token, call(81 + i, echo({}), meta));
      expect(answer.status).toBe(200);
    }
    expect(app.counts.direct).toBe(65);
    expect(heapAfterGc() - before).toBeLessThan(8 * 1024 * 1024);
  });
});
