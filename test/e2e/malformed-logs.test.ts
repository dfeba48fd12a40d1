/**
 * A malformed client request is logged as one warning line, without a stack (issue 16, item 12):
 * each request below goes over a raw socket to the whole gateway, which logs at `info` into a
 * buffer. Real bugs still log at error with the stack (test/http/context.test.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HttpTimeouts } from '../../src/http/server.ts';
import { createLogger } from '../../src/log.ts';
import { openRaw, type RawConnection } from '../helpers/raw-socket.ts';
import { recordOutput } from '../helpers/secret-ledger.ts';
import {
  MCP_HEADERS,
  initializeBody,
  openRawSse,
  parseJson,
  rawRequest,
  startStack,
} from './stack.ts';

interface Ctx {
  readonly token: string;
  readonly sessionId: string;
  readonly sseEndpoint: string;
}

interface Sent {
  readonly line?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent whole, with its Content-Length. */
  readonly body?: string | Buffer;
  /** Sent as is, after `Transfer-Encoding: chunked`. */
  readonly chunked?: string;
  /** Sent as is, with no framing header added (the case's headers say what they say). */
  readonly raw?: string;
  /** Hang up this long after sending, instead of waiting for the answer. */
  readonly hangUpAfterMs?: number;
}

interface Case {
  readonly name: string;
  readonly status: number;
  /** The line's code, or a matcher for node's parser codes (named by its llhttp version). */
  readonly code: unknown;
  readonly build: (ctx: Ctx) => Sent | string;
}

/** Writes one request; `Connection: close` so the connection's end marks the answer's. */
function send(conn: RawConnection, sent: Sent | string): void {
  if (typeof sent === 'string') {
    conn.write(sent);
    return;
  }
  const body = Buffer.from(sent.body ?? '');
  const framing =
    sent.raw !== undefined
      ? {}
      : sent.chunked !== undefined
        ? { 'Transfer-Encoding': 'chunked' }
        : { 'Content-Length': String(body.length) };
  const headers = { Host: '127.0.0.1', Connection: 'close', ...framing, ...sent.headers };
  const head = [sent.line ?? 'POST /mcp HTTP/1.1']
    .concat(Object.entries(headers).map(([name, value]) => `${name}: ${value}`))
    .join('\r\n');
  conn.write(`${head}\r\n\r\n${sent.raw ?? sent.chunked ?? body.toString('latin1')}`);
}

const HPE: unknown = expect.stringMatching(/^HPE_/);
const bearer = (c: Ctx) => ({ ...MCP_HEADERS, Authorization: `Bearer ${c.token}` });
const inSession = (c: Ctx) => ({
  ...bearer(c),
  'Mcp-Session-Id': c.sessionId,
  'Mcp-Protocol-Version': '2025-06-18',
});
const toolsList = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
const REVISION = '2026-07-28';
const modernCall = JSON.stringify({
  jsonrpc: '2.0',
  id: 3,
  method: 'tools/call',
  params: {
    name: 'list_notes',
    arguments: {},
    _meta: {
      'io.modelcontextprotocol/protocolVersion': REVISION,
      'io.modelcontextprotocol/clientInfo': { name: 'x', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
});
const modern = { 'Mcp-Protocol-Version': REVISION, 'Mcp-Method': 'tools/list' };
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const messages = (c: Ctx, path: string, body: string): Sent => ({
  line: `POST ${path} HTTP/1.1`,
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${c.token}` },
  body,
});

const cases: Case[] = [
  // The HTTP edge: bodies.
  {
    name: 'invalid JSON',
    status: 400,
    code: 'entity.parse.failed',
    build: (c) => ({ headers: bearer(c), body: '{"jsonrpc": ' }),
  },
  {
    name: 'a JSON value that is not an object',
    status: 400,
    code: 'entity.parse.failed',
    build: (c) => ({ headers: bearer(c), body: '42' }),
  },
  {
    name: 'invalid JSON, chunked',
    status: 400,
    code: 'entity.parse.failed',
    build: (c) => ({ headers: bearer(c), chunked: `${chunk('{"a":')}0\r\n\r\n` }),
  },
  {
    name: 'a body that is not gzip',
    status: 400,
    code: 'encoding.invalid',
    build: (c) => ({ headers: { ...bearer(c), 'Content-Encoding': 'gzip' }, body: 'plain' }),
  },
  {
    name: 'gzip of invalid JSON',
    status: 400,
    code: 'entity.parse.failed',
    build: (c) => ({
      headers: { ...bearer(c), 'Content-Encoding': 'gzip' },
      body: gzipSync('{"a":'),
    }),
  },
  {
    name: 'an unknown encoding',
    status: 415,
    code: 'encoding.unsupported',
    build: (c) => ({ headers: { ...bearer(c), 'Content-Encoding': 'zip' }, body: '{}' }),
  },
  {
    name: 'a charset other than UTF-8',
    status: 415,
    code: 'charset.unsupported',
    build: (c) => ({
      headers: { ...bearer(c), 'Content-Type': 'application/json; charset=latin1' },
      body: '{}',
    }),
  },
  {
    name: 'a declared length over the limit',
    status: 413,
    code: 'entity.too.large',
    build: (c) => ({ headers: { ...bearer(c), 'Content-Length': String(2 * 1024 * 1024) } }),
  },
  {
    name: 'a chunked body over the limit',
    status: 413,
    code: 'entity.too.large',
    build: (c) => ({
      headers: bearer(c),
      chunked: `${chunk(`[${'1,'.repeat(600_000)}1]`)}0\r\n\r\n`,
    }),
  },
  {
    name: 'a body cut short',
    status: 400,
    code: 'request.aborted',
    build: (c) => ({
      headers: { ...bearer(c), 'Content-Length': '1000' },
      raw: '{"jsonrpc":',
      hangUpAfterMs: 200,
    }),
  },
  {
    name: 'a chunked body cut short',
    status: 400,
    code: 'request.aborted',
    build: (c) => ({
      headers: bearer(c),
      chunked: chunk('{"jsonrpc":'),
      hangUpAfterMs: 200,
    }),
  },
  // The HTTP edge: where the request comes from.
  {
    name: 'a foreign Origin',
    status: 403,
    code: 'origin.forbidden',
    build: (c) => ({ headers: { ...bearer(c), Origin: 'https://evil.example' }, body: '{}' }),
  },
  {
    name: 'a foreign Host',
    status: 403,
    code: 'host.forbidden',
    build: (c) => ({ headers: { ...bearer(c), Host: 'evil.example' }, body: '{}' }),
  },
  // MCP: the SDK's entries and our own routing.
  {
    name: 'a content type that is not JSON',
    status: 415,
    code: 'mcp.rejected',
    build: (c) => ({ headers: { ...bearer(c), 'Content-Type': 'text/plain' }, body: '{}' }),
  },
  {
    name: 'JSON that is not JSON-RPC, without a session',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => ({ headers: bearer(c), body: '{"hello":"world"}' }),
  },
  {
    name: 'a 2025 request before initialize',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => ({ headers: bearer(c), body: toolsList }),
  },
  {
    name: 'GET /mcp without a session',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => ({ line: 'GET /mcp HTTP/1.1', headers: bearer(c) }),
  },
  {
    name: 'JSON that is not JSON-RPC, in a session',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => ({ headers: inSession(c), body: '{"jsonrpc":"2.0"}' }),
  },
  {
    name: 'a session POST that does not accept SSE',
    status: 406,
    code: 'mcp.rejected',
    build: (c) => ({ headers: { ...inSession(c), Accept: 'application/json' }, body: toolsList }),
  },
  {
    name: 'a second initialize in a session',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => ({ headers: inSession(c), body: initializeBody(9) }),
  },
  {
    name: 'a 2026 call whose Mcp-Method header names another method',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => ({ headers: { ...bearer(c), ...modern }, body: modernCall }),
  },
  {
    name: 'a 2026 call without its standard headers',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => ({ headers: bearer(c), body: modernCall }),
  },
  // The legacy SSE transport's POST.
  {
    name: 'POST /messages/ without a session id',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => messages(c, '/messages/', toolsList),
  },
  {
    name: 'POST /messages/ with a malformed session id',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => messages(c, '/messages/?session_id=xyz', toolsList),
  },
  {
    name: 'POST /messages/ with a message that is not JSON-RPC',
    status: 400,
    code: 'mcp.rejected',
    build: (c) => messages(c, c.sseEndpoint, '{"hello":"world"}'),
  },
  // Node's parser.
  {
    name: 'a request line that is not HTTP',
    status: 400,
    code: HPE,
    build: () => 'HELLO THERE\r\n\r\n',
  },
  {
    name: 'a Content-Length beside chunked framing',
    status: 400,
    code: HPE,
    build: (c) => ({ headers: { ...bearer(c), 'Content-Length': '2' }, chunked: chunk('{}') }),
  },
  {
    name: 'headers too large',
    status: 431,
    code: 'HPE_HEADER_OVERFLOW',
    build: () => `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  },
];

const Line = z.looseObject({ level: z.string(), msg: z.string() });

/** A stack logging at `info` into `lines`, with a 2025 session and an SSE session open. */
async function startLogged(httpTimeouts?: HttpTimeouts) {
  const lines: string[] = [];
  recordOutput('gateway log (malformed-logs)', () => lines.join(''));
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(line: Buffer, _encoding, done) {
        lines.push(line.toString());
        done();
      },
    }),
  });
  const stack = await startStack({
    logger,
    ...(httpTimeouts === undefined ? {} : { httpTimeouts }),
  });
  const token = await stack.token();
  const opened = await rawRequest(`${stack.gateway.url}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, Authorization: `Bearer ${token}` },
    body: initializeBody(),
  });
  const sse = await openRawSse(stack.gateway.url, token);
  const ctx: Ctx = {
    token,
    sessionId: opened.headers.get('mcp-session-id') ?? '',
    sseEndpoint: sse.endpoint,
  };
  const mark = lines.length;
  return {
    url: stack.gateway.url,
    ctx,
    /** The lines logged since the sessions were opened, once the gateway has had time to log. */
    async logged(): Promise<string[]> {
      // The line of a request whose client left comes once the gateway notices.
      for (let waited = 0; lines.length === mark && waited < 3000; waited += 50) await sleep(50);
      await sleep(200);
      return lines.slice(mark);
    },
  };
}

/** Exactly one line, a warning about this rejection, with no error object and no secret. */
function expectOneWarning(logged: string[], status: number, code: unknown, token: string) {
  expect(logged.map((text) => Line.parse(parseJson(text)).level)).toEqual(['warn']);
  const [text = ''] = logged;
  const line = Line.parse(parseJson(text));
  expect(line).toMatchObject({ msg: 'request rejected', status, code });
  expect(line['reason']).toEqual(expect.any(String));
  // Node's parser refuses a request before it has an id.
  if (typeof code === 'string' && !code.startsWith('HPE_') && !code.startsWith('ERR_')) {
    expect(line['requestId']).toEqual(expect.any(String));
  }
  expect(text).not.toContain('"stack"');
  expect(text).not.toContain('"err"');
  expect(text).not.toContain(token);
}

describe('a malformed request: one warning line, no stack, nothing at error', () => {
  it.each(cases)('$name → $status, $code', async ({ status, code, build }) => {
    const gateway = await startLogged();
    const conn = await openRaw(gateway.url);
    const sent = build(gateway.ctx);
    send(conn, sent);
    const hangUp = typeof sent === 'string' ? undefined : sent.hangUpAfterMs;
    if (hangUp === undefined) {
      await conn.closed;
      expect(conn.received()).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    } else {
      await sleep(hangUp);
      conn.destroy();
    }
    expectOneWarning(await gateway.logged(), status, code, gateway.ctx.token);
  });
});

describe('a request too slow to arrive: one warning line when it is cut', () => {
  const SHORT: HttpTimeouts = { headerSeconds: 1, bodySeconds: 1 };

  it('headers trickled past the header timeout → 408', async () => {
    const gateway = await startLogged(SHORT);
    const conn = await openRaw(gateway.url);
    conn.write('POST /mcp HTTP/1.1\r\n');
    conn.trickle('X-Slow: a\r\n', 200);
    await conn.closed;
    expectOneWarning(await gateway.logged(), 408, 'ERR_HTTP_REQUEST_TIMEOUT', gateway.ctx.token);
  });

  it('a body trickled past the body timeout: its reader reports it', async () => {
    const gateway = await startLogged(SHORT);
    const conn = await openRaw(gateway.url);
    send(conn, { headers: { ...bearer(gateway.ctx), 'Content-Length': '1000' }, raw: '{' });
    conn.trickle(' ', 200);
    await conn.closed;
    expectOneWarning(await gateway.logged(), 400, 'request.aborted', gateway.ctx.token);
  });
});

describe('requests that are no mistake log nothing', () => {
  it.each([
    { name: 'no token', status: 401, headers: MCP_HEADERS, body: toolsList },
    {
      name: 'an unknown session',
      status: 404,
      headers: { ...MCP_HEADERS, 'Mcp-Session-Id': 'gone', 'Mcp-Protocol-Version': '2025-06-18' },
      body: toolsList,
      token: true,
    },
  ])('$name → $status', async ({ status, headers, body, token }) => {
    const gateway = await startLogged();
    const auth = token === true ? { Authorization: `Bearer ${gateway.ctx.token}` } : {};
    const reply = await rawRequest(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...headers, ...auth },
      body,
    });
    expect(reply.status).toBe(status);
    expect(await gateway.logged()).toEqual([]);
  });
});
