/**
 * Slow clients (src/http/server.ts), over real sockets on loopback: trickled headers and bodies
 * are cut at their deadlines, an answer given before its body arrived frees the connection, and
 * neither an answer that streams nor an idle keep-alive connection is cut. Bounds are generous:
 * "closed within the deadline + 3 s", as the machine is shared.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestListener } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  UNREAD_BODY_GRACE_MS,
  createHttpServer,
  type HttpTimeouts,
} from '../../src/http/server.ts';
import { listen } from '../helpers/loopback.ts';
import { openRaw } from '../helpers/raw-socket.ts';

const SLACK_MS = 3000;
const SHORT: HttpTimeouts = { headerSeconds: 1, bodySeconds: 1 };

/** /read answers once the whole body is in, /refuse at once, /stream never ends by itself. */
const handler: RequestListener = (req, res) => {
  if (req.url === '/read') {
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-length': '2' }).end('ok');
    });
    return;
  }
  if (req.url === '/refuse') {
    res.writeHead(401, { 'content-length': '6' }).end('denied');
    return;
  }
  if (req.url === '/stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const ticks = setInterval(() => res.write('data: tick\n\n'), 250);
    res.once('close', () => {
      clearInterval(ticks);
    });
    return;
  }
  res.writeHead(200, { 'content-length': '2' }).end('ok');
};

const start = (timeouts: HttpTimeouts = SHORT) => listen(createHttpServer(handler, timeouts));

const post = (path: string, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${length}\r\n\r\n`;
const count = (text: string, part: string) => text.split(part).length - 1;

describe('createHttpServer: slow requests', () => {
  it('closes a header trickle after the headers timeout, answering 408', async () => {
    const conn = await openRaw(await start());
    conn.write('GET / HTTP/1.1\r\n');
    conn.trickle('X-Slow: a\r\n', 200);
    const elapsed = await conn.closed;
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(1000 + SLACK_MS);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a body trickle once headers + body timeouts have passed', async () => {
    const conn = await openRaw(await start());
    conn.write(post('/read', 1_000_000));
    conn.trickle('a', 200);
    const elapsed = await conn.closed;
    expect(elapsed).toBeGreaterThan(1800);
    expect(elapsed).toBeLessThan(2000 + SLACK_MS);
    expect(conn.received()).not.toContain('200 OK');
  });

  it('answered before its body arrived, a trickler gets the answer, then is cut after the grace', async () => {
    // A body timeout far away: what closes the connection must be the grace.
    const conn = await openRaw(await start({ headerSeconds: 1, bodySeconds: 60 }));
    conn.write(post('/refuse', 1_000_000));
    conn.trickle('a', 200);
    await conn.waitFor(/^HTTP\/1\.1 401 [^]*denied$/);
    const elapsed = await conn.closed;
    expect(elapsed).toBeLessThan(UNREAD_BODY_GRACE_MS + SLACK_MS);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 401 [^]*denied$/);
  });

  it('answered before its body arrived, a client that then sends the rest keeps its connection', async () => {
    const conn = await openRaw(await start({ headerSeconds: 1, bodySeconds: 60 }));
    conn.write(post('/refuse', 100_000));
    await conn.waitFor(/denied$/);
    conn.write('a'.repeat(100_000));
    await sleep(UNREAD_BODY_GRACE_MS + 500);
    conn.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await conn.waitFor(/denied[^]*HTTP\/1\.1 200 [^]*ok$/);
    expect(conn.isClosed()).toBe(false);
  });
});

describe('createHttpServer: what the timeouts leave alone', () => {
  it('an answer that streams outlives both timeouts: they bound receiving the request only', async () => {
    const conn = await openRaw(await start());
    conn.write('GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await conn.waitFor(/data: tick/);
    // Past the headers and whole-request deadlines, and past a deadline check after them.
    await sleep(2000 + 1500);
    const before = count(conn.received(), 'data: tick');
    await sleep(1000);
    expect(conn.isClosed()).toBe(false);
    expect(count(conn.received(), 'data: tick')).toBeGreaterThan(before);
  });

  it('keep-alive: well-formed requests share a connection, with pauses longer than the timeouts', async () => {
    const conn = await openRaw(await start());
    conn.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await conn.waitFor(/ok$/);
    // Idle between requests is the keep-alive timeout's business (5 s), not the request's.
    await sleep(2500);
    conn.write(`${post('/read', 5)}hello`);
    await conn.waitFor(/ok[^]*ok$/);
    await sleep(2500);
    conn.write(`${post('/refuse', 5)}hello`);
    await conn.waitFor(/denied$/);
    await sleep(UNREAD_BODY_GRACE_MS + 500);
    conn.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await conn.waitFor(/denied[^]*ok$/);
    expect(count(conn.received(), 'HTTP/1.1 200 ')).toBe(3);
    expect(conn.isClosed()).toBe(false);
  });
});

describe('createHttpServer: closing', () => {
  it('an answer still being prepared at close() says Connection: close, and its connection ends', async () => {
    const arrived = Promise.withResolvers<undefined>();
    const release = Promise.withResolvers<undefined>();
    const server = createHttpServer((_req, res) => {
      arrived.resolve(undefined);
      void release.promise.then(() => {
        res.writeHead(200, { 'content-length': '2' }).end('ok');
      });
    }, SHORT);
    const conn = await openRaw(await listen(server));
    conn.write('POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n');
    await arrived.promise;
    // A balancer that pooled this connection would send its next request down it after a
    // keep-alive answer, to a replica that no longer takes any.
    server.close();
    release.resolve(undefined);
    await conn.waitFor(/ok$/);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 200 [^]*\r\nConnection: close\r\n/i);
    await conn.closed;
  });

  it('a request already sent on an idle keep-alive connection at close() is answered, not reset', async () => {
    const server = createHttpServer(handler, SHORT);
    const conn = await openRaw(await listen(server));
    conn.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await conn.waitFor(/ok$/);
    // Idle now. A balancer reusing it sends a request just as the replica is told to stop: the
    // bytes are on the server's side of the socket, not yet read, when close() runs.
    conn.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    server.close();
    await conn.closed;
    expect(count(conn.received(), 'HTTP/1.1 200 ')).toBe(2);
    expect(conn.received()).toMatch(/ok\r?\n?HTTP\/1\.1 200 [^]*\r\nConnection: close\r\n[^]*ok$/i);
  });
});
