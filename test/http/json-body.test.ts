/** JSON bodies (src/http/json-body.ts): the plain path, and body-parser for everything else. */
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { errorFunnel } from '../../src/http/errors.ts';
import { jsonBody, parseStrictJson, plainLength } from '../../src/http/json-body.ts';
import { listen } from '../helpers/loopback.ts';

const LIMIT = 1024;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** An app whose one route answers with what it received as `req.body`, and how many calls. */
async function startApp() {
  const app = express();
  let calls = 0;
  app.post('/echo', jsonBody(LIMIT), (req, res) => {
    calls += 1;
    const body: unknown = req.body;
    res.json({ body: body === undefined ? '(undefined)' : body });
  });
  app.use(errorFunnel(pino({ level: 'silent' })));
  const origin = await listen(createServer(app));
  return { origin, calls: () => calls };
}

/** POSTs `body` with exactly `headers` (no Content-Length added unless given); chunks are written one by one. */
async function post(
  origin: string,
  headers: Record<string, string>,
  body: string | Buffer | readonly string[],
): Promise<Reply> {
  const req = request(`${origin}/echo`, { method: 'POST', headers });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  const chunks = typeof body === 'string' || Buffer.isBuffer(body) ? [body] : body;
  for (const chunk of chunks) req.write(chunk);
  req.end();
  const res = await response;
  const parts: Buffer[] = [];
  res.on('data', (part: Buffer) => parts.push(part));
  await once(res, 'end');
  const text = Buffer.concat(parts).toString('utf8');
  return { status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) };
}

const json = (text: string, type = 'application/json') => ({
  headers: { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(text)) },
  text,
});

describe('plain JSON bodies', () => {
  it.each([
    ['application/json', '{"a":1,"b":[true,null]}', { a: 1, b: [true, null] }],
    ['application/json; charset=utf-8', '{"s":"é✓"}', { s: 'é✓' }],
    ['Application/JSON; Charset=UTF-8', '[1,2]', [1, 2]],
    ['application/json', ' \r\n\t{"padded":true}', { padded: true }],
    ['application/json', '', {}],
  ])('%s %j is parsed', async (type, text, expected) => {
    const app = await startApp();
    const { headers } = json(text, type);
    const reply = await post(app.origin, headers, text);
    expect(reply).toMatchObject({ status: 200, body: { body: expected } });
  });

  it('a leading UTF-8 byte-order mark is skipped', async () => {
    const app = await startApp();
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"bom":1}')]);
    const reply = await post(
      app.origin,
      { 'Content-Type': 'application/json', 'Content-Length': String(bytes.length) },
      bytes,
    );
    expect(reply).toMatchObject({ status: 200, body: { body: { bom: 1 } } });
  });

  it('a body that arrives in several packets is read whole', async () => {
    const app = await startApp();
    const parts = ['{"title":', '"split ', 'body"}'];
    const reply = await post(
      app.origin,
      { 'Content-Type': 'application/json', 'Content-Length': String(parts.join('').length) },
      parts,
    );
    expect(reply).toMatchObject({ status: 200, body: { body: { title: 'split body' } } });
  });

  it.each(['"a string"', '42', 'null', '{"unterminated": ', 'hello'])(
    '%s → 400 JSON-RPC parse error, and the handler never runs',
    async (text) => {
      const app = await startApp();
      const reply = await post(app.origin, json(text).headers, text);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({
        jsonrpc: '2.0',
        error: { code: -32700, message: 'Parse error: the body is not valid JSON' },
        id: null,
      });
      expect(app.calls()).toBe(0);
    },
  );
});

describe('everything else goes to body-parser, with its answers', () => {
  it('a Content-Length over the limit → 413 before the body is parsed', async () => {
    const app = await startApp();
    const text = JSON.stringify({ big: 'x'.repeat(LIMIT) });
    const reply = await post(app.origin, json(text).headers, text);
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ error: { code: -32600 } });
    expect(app.calls()).toBe(0);
  });

  it('a chunked body is parsed, and one over the limit → 413', async () => {
    const app = await startApp();
    const chunked = { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' };
    const small = await post(app.origin, chunked, ['{"chunked":', 'true}']);
    expect(small).toMatchObject({ status: 200, body: { body: { chunked: true } } });
    const big = await post(app.origin, chunked, ['{"big":"', 'x'.repeat(LIMIT), '"}']);
    expect(big.status).toBe(413);
  });

  it('a gzip-encoded body is inflated and parsed', async () => {
    const app = await startApp();
    const bytes = gzipSync('{"zipped":true}');
    const reply = await post(
      app.origin,
      {
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
        'Content-Length': String(bytes.length),
      },
      bytes,
    );
    expect(reply).toMatchObject({ status: 200, body: { body: { zipped: true } } });
  });

  it('an application/*+json type is parsed', async () => {
    const app = await startApp();
    const { headers, text } = json('{"vendor":1}', 'application/vnd.example+json');
    const reply = await post(app.origin, headers, text);
    expect(reply).toMatchObject({ status: 200, body: { body: { vendor: 1 } } });
  });

  it('a charset other than UTF-8 → 415 JSON-RPC error, not a server error', async () => {
    const app = await startApp();
    const { headers, text } = json('{"a":1}', 'application/json; charset=latin1');
    const reply = await post(app.origin, headers, text);
    expect(reply.status).toBe(415);
    expect(reply.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 }, id: null });
    expect(app.calls()).toBe(0);
  });

  it('a body that is not JSON by type is left alone: req.body stays undefined', async () => {
    const app = await startApp();
    const reply = await post(
      app.origin,
      { 'Content-Type': 'text/plain', 'Content-Length': '5' },
      'hello',
    );
    expect(reply).toMatchObject({ status: 200, body: { body: '(undefined)' } });
  });
});

describe('a client that goes away mid-body', () => {
  it('reaches no handler, and the server keeps answering', async () => {
    const app = await startApp();
    const socket = connect(Number(new URL(app.origin).port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"partial":',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await once(socket, 'close');
    const reply = await post(app.origin, json('{"after":1}').headers, '{"after":1}');
    expect(reply).toMatchObject({ status: 200, body: { body: { after: 1 } } });
    expect(app.calls()).toBe(1);
  });
});

describe('parseStrictJson', () => {
  it('is body-parser strict: objects and arrays only, empty is {}', () => {
    expect(parseStrictJson('')).toEqual({});
    expect(parseStrictJson('\n[]')).toEqual([]);
    expect(() => parseStrictJson('true')).toThrow(/not a JSON object or array/);
    expect(() => parseStrictJson('{')).toThrow(/not valid JSON/);
  });
});

describe('plainLength: which requests take the plain path', () => {
  const plain = { 'content-type': 'application/json', 'content-length': '12' };
  it.each([
    [plain, 12],
    [{ ...plain, 'content-type': 'application/json; charset=UTF-8' }, 12],
    [{ ...plain, 'content-encoding': 'identity' }, 12],
    [{ ...plain, 'content-length': '0' }, 0],
    [{ ...plain, 'content-length': String(LIMIT) }, LIMIT],
  ])('%j → %d', (headers, length) => {
    expect(plainLength(headers, LIMIT)).toBe(length);
  });

  it.each([
    { ...plain, 'content-length': String(LIMIT + 1) },
    { ...plain, 'content-type': 'application/json; charset=latin1' },
    { ...plain, 'content-type': 'application/vnd.example+json' },
    { ...plain, 'content-type': 'text/plain' },
    { ...plain, 'content-encoding': 'gzip' },
    { ...plain, 'transfer-encoding': 'chunked' },
    { 'content-type': 'application/json' },
    {},
  ])('%j → body-parser', (headers) => {
    expect(plainLength(headers, LIMIT)).toBeUndefined();
  });
});
