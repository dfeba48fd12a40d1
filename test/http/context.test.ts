/** Request ids (src/http/context.ts): echoed or generated, and on every line logged for the request. */
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { requestContext } from '../../src/http/context.ts';
import { errorFunnel } from '../../src/http/errors.ts';
import { listen, onCleanup } from '../helpers/loopback.ts';

/** An error logged with its stack, which names `message`. */
const withStack = (message: string): unknown => {
  const naming: unknown = expect.stringContaining(message);
  return expect.objectContaining({ stack: naming });
};

async function startApp() {
  const lines: unknown[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  const app = express();
  // Express prints errors that reach its own last handler unless its env is 'test' (vitest's).
  app.set('env', 'production');
  app.use(requestContext());
  app.get('/ok', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/fail', () => {
    throw new Error('handler bug');
  });
  // What body-parser passes on for a body that is not JSON: the body rides on the error.
  app.get('/client-error', (_req, _res, next) => {
    next(
      Object.assign(new Error('Unexpected token'), {
        status: 400,
        type: 'entity.parse.failed',
        body: '{"secret-body":',
      }),
    );
  });
  app.get('/fail-late', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).write('partial');
    throw new Error('bug after the answer began');
  });
  app.use(errorFunnel(pino({ level: 'info' }, sink)));
  return { origin: await listen(createServer(app)), lines };
}

describe('request ids', () => {
  it('a sane X-Request-ID is echoed; a missing or unsafe one is replaced by a UUID', async () => {
    const { origin } = await startApp();
    const given = await fetch(`${origin}/ok`, { headers: { 'X-Request-ID': 'trace-1.a:b' } });
    expect(given.headers.get('x-request-id')).toBe('trace-1.a:b');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const none = await fetch(`${origin}/ok`);
    expect(none.headers.get('x-request-id')).toMatch(uuid);
    const unsafe = await fetch(`${origin}/ok`, { headers: { 'X-Request-ID': 'a b<script>' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(uuid);
  });

  it('an error logged for a request carries its id', async () => {
    const { origin, lines } = await startApp();
    const reply = await fetch(`${origin}/fail`, { headers: { 'X-Request-ID': 'req-42' } });
    expect(reply.status).toBe(500);
    expect(lines).toEqual([
      expect.objectContaining({
        requestId: 'req-42',
        msg: 'request failed',
        level: 50,
        err: withStack('handler bug'),
      }),
    ]);
  });

  it("a client's error is one warning with its id, code and reason: no stack, no body", async () => {
    const { origin, lines } = await startApp();
    const reply = await fetch(`${origin}/client-error`, { headers: { 'X-Request-ID': 'req-7' } });
    expect(reply.status).toBe(400);
    const keys = [
      'level',
      'time',
      'pid',
      'hostname',
      'requestId',
      'status',
      'code',
      'reason',
      'msg',
    ];
    expect(
      lines.map((line) => (typeof line === 'object' && line !== null ? Object.keys(line) : [])),
    ).toEqual([keys]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        requestId: 'req-7',
        status: 400,
        code: 'entity.parse.failed',
        msg: 'request rejected',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret-body');
  });

  it('a bug after the answer began is logged once and ends the connection, nothing on stderr', async () => {
    const { origin, lines } = await startApp();
    // Express's own last handler would print the stack with console.error.
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    onCleanup(() => {
      stderr.mockRestore();
      return Promise.resolve();
    });
    await expect(fetch(`${origin}/fail-late`).then((reply) => reply.text())).rejects.toThrow();
    expect(stderr).not.toHaveBeenCalled();
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request failed',
        level: 50,
        err: withStack('after the answer'),
      }),
    ]);
  });
});
