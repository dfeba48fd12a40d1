/** Request ids (src/http/context.ts): echoed or generated, and on every line logged for the request. */
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { requestContext } from '../../src/http/context.ts';
import { errorFunnel } from '../../src/http/errors.ts';
import { listen } from '../helpers/loopback.ts';

async function startApp() {
  const lines: unknown[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  const app = express();
  app.use(requestContext());
  app.get('/ok', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/fail', () => {
    throw new Error('handler bug');
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
      expect.objectContaining({ requestId: 'req-42', msg: 'request failed' }),
    ]);
  });
});
