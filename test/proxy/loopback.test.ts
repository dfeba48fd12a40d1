/**
 * The upstream client over real loopback sockets, with its default undici pool, against the
 * embedded ToolBridge API (src/backend) and a few hand-made servers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createBackendHandler, startBackend } from '../../src/backend/index.ts';
import { createUpstream, type PresentedIdentity, type Upstream } from '../../src/proxy/index.ts';
import { listen, onCleanup } from '../helpers/loopback.ts';
import { rejection } from './setup.ts';

const jwtSecret = `jwt-${randomBytes(16).toString('hex')}`;
const tenantSecret = `tenant-${randomBytes(16).toString('hex')}`;

async function newIdentity(tenantId = 'test-tenant-123'): Promise<PresentedIdentity> {
  const subject = `proxy-${randomUUID()}`;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sub: subject, iat: now, exp: now + 600 })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(jwtSecret));
  return { authorization: `Bearer ${token}`, subject, tenantId };
}

function upstreamFor(baseUrl: string, toolTimeoutMs = 5_000, secret = tenantSecret): Upstream {
  const upstream = createUpstream({ baseUrl, tenantHeaderSecret: secret, toolTimeoutMs });
  onCleanup(() => upstream.close());
  return upstream;
}

/**
 * The embedded API behind a server that logs each request line and counts TCP connections;
 * with `prefix`, it serves only below that path and strips it, as a reverse proxy would.
 */
async function loggedBackend(prefix = '') {
  const handler = createBackendHandler({ jwtSecret, tenantHeaderSecret: tenantSecret });
  const log: string[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    log.push(`${req.method ?? ''} ${url}`);
    if (!url.startsWith(`${prefix}/`)) {
      res.writeHead(404).end('outside the prefix\n');
      return;
    }
    req.url = url.slice(prefix.length);
    handler(req, res);
  });
  server.on('connection', () => {
    connections += 1;
  });
  const origin = await listen(server);
  return {
    origin,
    log,
    connections: () => connections,
    sessionPosts: () => log.filter((line) => line === `POST ${prefix}/v1/sync/sessions`).length,
  };
}

const createNote = {
  method: 'POST',
  path: '/v1/notes',
  body: { title: 'Hi', content: 'x', tags: ['a'] },
} as const;
const listNotes = { method: 'GET', path: '/v1/notes', query: [['limit', '100']] } as const;

function uidOf(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'uid' in body && typeof body.uid === 'string') {
    return body.uid;
  }
  throw new Error(`no uid in ${JSON.stringify(body)}`);
}

function itemUids(body: unknown): string[] {
  if (
    typeof body !== 'object' ||
    body === null ||
    !('items' in body) ||
    !Array.isArray(body.items)
  ) {
    throw new Error(`no items in ${JSON.stringify(body)}`);
  }
  return body.items.map(uidOf);
}

describe('against the embedded ToolBridge API', () => {
  it('creates, reads and lists a note', async () => {
    const backend = await startBackend({ port: 0, jwtSecret, tenantHeaderSecret: tenantSecret });
    onCleanup(() => backend.close());
    const upstream = upstreamFor(backend.url);
    const who = await newIdentity();

    const created = await upstream.call(createNote, who, { correlationId: 'corr-create' });
    const uid = uidOf(created.body);
    const fetched = await upstream.call({ method: 'GET', path: `/v1/notes/${uid}` }, who);
    const listed = await upstream.call(listNotes, who);

    expect(created.status).toBe(201);
    expect(fetched).toMatchObject({
      status: 200,
      body: { uid, version: 1, payload: { title: 'Hi', tags: ['a'] } },
    });
    expect(itemUids(listed.body)).toEqual([uid]);
  });

  it('reuses one session and one keep-alive connection across calls', async () => {
    const backend = await loggedBackend();
    const upstream = upstreamFor(backend.origin);
    const who = await newIdentity();

    for (let i = 0; i < 4; i += 1) await upstream.call(listNotes, who);

    expect(backend.sessionPosts()).toBe(1);
    expect(backend.log).toHaveLength(5);
    // undici may open a second socket while the first is being released; not one per call.
    expect(backend.connections()).toBeLessThanOrEqual(2);
  });

  it('recovers transparently after a wipe, through the 428 refresh', async () => {
    const backend = await loggedBackend();
    const upstream = upstreamFor(backend.origin);
    const who = await newIdentity();
    await upstream.call(createNote, who);

    const wiped = await upstream.call(
      { method: 'POST', path: '/v1/sync/wipe', body: { confirm: 'WIPE' } },
      who,
    );
    const listed = await upstream.call(listNotes, who);

    expect(wiped).toMatchObject({ status: 200, body: { epoch: 2 } });
    expect(itemUids(listed.body)).toEqual([]);
    expect(backend.sessionPosts()).toBe(2);
    expect(backend.log.filter((line) => line.startsWith('GET /v1/notes'))).toHaveLength(2);
  });

  it('works end to end for a non-ASCII tenant id', async () => {
    const backend = await loggedBackend();
    const upstream = upstreamFor(backend.origin);
    const who = await newIdentity('mandant-ü-日本:1');

    const uid = uidOf((await upstream.call(createNote, who)).body);
    await expect(
      upstream.call({ method: 'GET', path: `/v1/notes/${uid}` }, who),
    ).resolves.toMatchObject({ status: 200 });
  });

  it('reports a wrong tenant secret as a failed session, without the secret', async () => {
    const backend = await loggedBackend();
    const upstream = upstreamFor(backend.origin, 5_000, 'the-wrong-tenant-secret');
    const who = await newIdentity();

    const error = await rejection(upstream.call(listNotes, who));

    expect(error.code).toBe('UPSTREAM_SESSION_FAILED');
    expect(error.message).toMatch(
      /^Could not open a ToolBridge sync session: ToolBridge API answered 401 Unauthorized: Unauthorized: invalid tenant headers \(correlation_id [0-9a-f-]{36}\)$/,
    );
    expect(error.message).not.toContain('the-wrong-tenant-secret');
    expect(error.message).not.toContain(who.authorization.slice(7));
  });

  it('keeps the base URL path prefix on every request', async () => {
    const backend = await loggedBackend('/prefix');
    const upstream = upstreamFor(`${backend.origin}/prefix`);
    const who = await newIdentity();

    await upstream.call(
      {
        method: 'GET',
        path: '/v1/notes',
        query: [
          ['limit', '5'],
          ['cursor', 'a b'],
        ],
      },
      who,
    );

    expect(backend.log).toEqual([
      'POST /prefix/v1/sync/sessions',
      'GET /prefix/v1/notes?limit=5&cursor=a+b',
    ]);
  });
});

describe('a backend that cannot be reached or does not answer', () => {
  it('a dead port is UPSTREAM_UNREACHABLE naming the request, not the origin', async () => {
    const probe = createTcpServer();
    const origin = await listen(probe);
    await new Promise<void>((resolve) => {
      probe.close(() => {
        resolve();
      });
    });
    const upstream = upstreamFor(origin);

    const error = await rejection(upstream.call(listNotes, await newIdentity()));

    expect(error.code).toBe('UPSTREAM_UNREACHABLE');
    expect(error.message).toBe(
      'ToolBridge API is unreachable for POST /v1/sync/sessions (ECONNREFUSED)',
    );
    expect(JSON.stringify([error.message, error.details])).not.toContain(origin);
  });

  async function silentServer() {
    const sockets = new Set<Socket>();
    const closed: Socket[] = [];
    const server = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => closed.push(socket));
      socket.on('data', () => undefined); // read the request, never answer
    });
    const origin = await listen(server);
    onCleanup(() => {
      for (const socket of sockets) socket.destroy();
      return Promise.resolve();
    });
    return { origin, sockets, closed };
  }

  it('a server that never answers is UPSTREAM_TIMEOUT within the deadline, and the request is aborted', async () => {
    const silent = await silentServer();
    const upstream = upstreamFor(silent.origin, 300);

    const started = performance.now();
    const error = await rejection(upstream.call(listNotes, await newIdentity()));
    const elapsed = performance.now() - started;

    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toBe('ToolBridge API did not answer within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    await expect.poll(() => silent.closed.length).toBe(silent.sockets.size);
  });

  it('an answer whose body stalls after its headers is UPSTREAM_TIMEOUT within the deadline', async () => {
    // A sync session as the API would give one, then a list answer that never finishes.
    const sockets = new Set<Socket>();
    const closed: Socket[] = [];
    const server = createServer((req, res) => {
      req.resume();
      if (req.method === 'POST') {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'session-1', epoch: 1 }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"items": [');
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => closed.push(socket));
    });
    onCleanup(() => {
      for (const socket of sockets) socket.destroy();
      return Promise.resolve();
    });
    const upstream = upstreamFor(await listen(server), 300);

    const started = performance.now();
    const error = await rejection(upstream.call(listNotes, await newIdentity()));
    const elapsed = performance.now() - started;

    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    // The stalled exchange's socket is closed, not left in the pool.
    await expect.poll(() => closed.length).toBeGreaterThanOrEqual(1);
  });

  it('a cancelled call aborts its in-flight request', async () => {
    const silent = await silentServer();
    const upstream = upstreamFor(silent.origin);
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 100);

    const error = await rejection(
      upstream.call(listNotes, await newIdentity(), { signal: controller.signal }),
    );

    expect(error.code).toBe('UPSTREAM_CANCELLED');
    expect(silent.sockets.size).toBe(1);
    await expect.poll(() => silent.closed.length).toBe(1);
  });

  it('a 302 is an error, not followed', async () => {
    const log: string[] = [];
    const server = createServer((req, res) => {
      log.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.writeHead(302, { Location: '/elsewhere' }).end();
    });
    const origin = await listen(server);
    const upstream = upstreamFor(origin);

    const error = await rejection(upstream.call(listNotes, await newIdentity()));

    expect(error).toMatchObject({
      code: 'UPSTREAM_SESSION_FAILED',
      details: { status: 302, location: '/elsewhere' },
    });
    expect(log).toEqual(['POST /v1/sync/sessions']);
  });

  it('close() closes the pool once; later calls fail cleanly', async () => {
    const backend = await loggedBackend();
    const upstream = createUpstream({ baseUrl: backend.origin, tenantHeaderSecret: tenantSecret });
    const who = await newIdentity();
    await upstream.call(listNotes, who);

    await Promise.all([upstream.close(), upstream.close()]);

    const error = await rejection(upstream.call(listNotes, who));
    expect(error.code).toBe('UPSTREAM_UNREACHABLE');
  });
});
