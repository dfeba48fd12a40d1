/**
 * The benchmark's reference relay over real loopback sockets: a node:http target records what
 * reached it, and the relay sits between it and a plain HTTP client.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { expect, it } from 'vitest';
import { startRelay } from '../../bench/lib/relay.ts';
import { listen, onCleanup } from '../helpers/loopback.ts';

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A target that records each request and answers with `reply`. */
async function target(reply: { status: number; type: string; body: string }) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(reply.status, { 'content-type': reply.type });
      res.end(reply.body);
    });
  });
  return { origin: await listen(server), seen };
}

async function relayTo(origin: string) {
  const relay = await startRelay(origin);
  onCleanup(() => relay.close());
  return relay.url;
}

it('forwards method, path, end-to-end headers and body, and answers with the target’s reply', async () => {
  const { origin, seen } = await target({
    status: 201,
    type: 'application/json; charset=utf-8',
    body: '{"uid":"n-1"}',
  });
  const url = await relayTo(origin);

  const response = await fetch(`${url}/v1/notes?limit=2`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tb-tenant-id': 't1', 'x-custom': 'a' },
    body: '{"title":"b"}',
  });

  expect(response.status).toBe(201);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(await response.text()).toBe('{"uid":"n-1"}');
  expect(seen).toHaveLength(1);
  expect(seen[0]).toMatchObject({
    method: 'POST',
    url: '/v1/notes?limit=2',
    body: '{"title":"b"}',
  });
  expect(seen[0]?.headers).toMatchObject({
    'content-type': 'application/json',
    'x-tb-tenant-id': 't1',
    'x-custom': 'a',
  });
  // The target's own Host, not the relay's.
  expect(seen[0]?.headers.host).toBe(new URL(origin).host);
});

it('passes an error status and its body through unchanged', async () => {
  const { origin } = await target({
    status: 409,
    type: 'application/json',
    body: '{"error":"epoch_mismatch"}',
  });
  const url = await relayTo(origin);

  const response = await fetch(`${url}/v1/notes/x`);

  expect(response.status).toBe(409);
  expect(await response.text()).toBe('{"error":"epoch_mismatch"}');
});

it('refuses a method it does not relay, without reaching the target', async () => {
  const { origin, seen } = await target({ status: 200, type: 'text/plain', body: 'ok' });
  const url = await relayTo(origin);

  const response = await fetch(url, { method: 'OPTIONS' });

  expect(response.status).toBe(405);
  expect(await response.text()).toMatch(/method OPTIONS is not relayed/);
  expect(seen).toHaveLength(0);
});

it('answers 502 with the reason when the target is down', async () => {
  // A port that was listening a moment ago and no longer is.
  const gone = createServer();
  gone.listen(0, '127.0.0.1');
  await once(gone, 'listening');
  const address = gone.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  const url = await relayTo(`http://127.0.0.1:${address.port}`);

  const response = await fetch(`${url}/v1/notes`);

  expect(response.status).toBe(502);
  expect(await response.text()).toMatch(/^relay: the target did not answer \(.+\)/);
});

it('abandons the upstream request when its client goes away', async () => {
  const arrived = Promise.withResolvers<true>();
  const closed = Promise.withResolvers<true>();
  // Never answers: only the relay giving up closes this request.
  const server = createServer((req) => {
    req.socket.on('close', () => closed.resolve(true));
    arrived.resolve(true);
  });
  const url = await relayTo(await listen(server));

  const client = httpRequest(`${url}/v1/slow`);
  client.on('error', () => undefined);
  client.end();
  await arrived.promise;
  client.destroy();

  await expect(closed.promise).resolves.toBe(true);
});
