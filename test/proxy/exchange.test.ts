/**
 * exchange(): one request through a real undici Pool's `dispatch`, against node:http and raw
 * node:net servers on loopback. What the client has received is read from undici's own
 * diagnostics channels, so a server can wait for it instead of sleeping.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { EventEmitter, getEventListeners, once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { errors, Pool } from 'undici';
import { expect, it } from 'vitest';
import { exchange, ResponseTooLarge, type Exchange } from '../../src/proxy/exchange.ts';
import { listen, onCleanup } from '../helpers/loopback.ts';

type Received = Pick<IncomingMessage, 'method' | 'url' | 'headers' | 'socket'> & {
  readonly body: string;
  readonly res: ServerResponse;
};

/** Listens and opens a Pool to the server; after the test: its sockets, the pool, the server. */
async function serve(server: Server, options: Pool.Options = {}) {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => sockets.add(socket));
  const origin = await listen(server);
  const pool = new Pool(origin, options);
  onCleanup(() => pool.close());
  onCleanup(() => {
    for (const socket of sockets) socket.destroy();
    return Promise.resolve();
  });
  return { origin, pool, connections: () => sockets.size };
}

/** A node:http server that records each request, body read in full, before `answer` runs. */
async function backend(answer: (received: Received) => unknown, options: Pool.Options = {}) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { method, url, headers, socket } = req;
      const request = { method, url, headers, socket, res, body: Buffer.concat(chunks).toString() };
      received.push(request);
      answer(request);
    });
  });
  return { ...(await serve(server, options)), received };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** What undici publishes on `channel` during this test, as picked by `pick`. */
function watch<T>(channel: string, pick: (message: Record<string, unknown>) => T | undefined) {
  const seen: T[] = [];
  const events = new EventEmitter();
  const onMessage = (message: unknown) => {
    const picked = isRecord(message) ? pick(message) : undefined;
    if (picked === undefined) return;
    seen.push(picked);
    events.emit('seen');
  };
  subscribe(channel, onMessage);
  onCleanup(() => Promise.resolve(unsubscribe(channel, onMessage)));
  const atLeast = async (count: number) => {
    while (seen.length < count) await once(events, 'seen');
  };
  return { seen, atLeast };
}

const bodyChunks = () =>
  watch('undici:request:bodyChunkReceived', (m) =>
    Buffer.isBuffer(m.chunk) ? m.chunk : undefined,
  );

/** Writes `parts` one at a time, each once the client has received the one before. */
async function writeParts(res: ServerResponse, parts: readonly (string | Buffer)[]) {
  const chunks = bodyChunks();
  for (const [i, part] of parts.entries()) {
    res.write(part);
    await chunks.atLeast(i + 1);
  }
  res.end();
  return chunks.seen;
}

const GET = { method: 'GET', headers: {}, body: undefined } as const;
const get = (origin: string, path = '/'): Exchange => ({ ...GET, origin, path });
/** A signal nobody aborts. */
const live = () => new AbortController().signal;
/** What `p` rejects with ('resolved' if it does not). */
const failure = (p: Promise<unknown>) => p.then(() => 'resolved').catch((e: unknown) => e);

it('resolves status, lower-cased headers and a body written in several chunks', async () => {
  let written: Promise<Buffer[]> | undefined;
  const { origin, pool } = await backend(({ res }) => {
    res.setHeader('X-Trace-ID', 'trace-1');
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    written = writeParts(res, ['alpha,', 'beta,', 'gamma']);
  });
  const signal = live();

  const reply = await exchange(pool, get(origin), signal);

  expect(reply).toMatchObject({ status: 200, text: 'alpha,beta,gamma' });
  const { headers } = reply;
  expect(headers).toMatchObject({ 'x-trace-id': 'trace-1', 'set-cookie': ['a=1', 'b=2'] });
  expect(headers).toMatchObject({ 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  expect((await written)?.map(String)).toEqual(['alpha,', 'beta,', 'gamma']);
  expect(getEventListeners(signal, 'abort')).toHaveLength(0);
});

it('skips a byte-order mark and decodes characters split across chunks', async () => {
  const text = 'café 日本語 🙂';
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  // Cut inside the BOM, after the first byte of é, inside 本 and inside the emoji.
  const cuts = [0, 2, 7, 14, 21, bytes.length];
  const parts = cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end));
  expect(parts.slice(1).every((part) => (part[0]! & 0xc0) === 0x80)).toBe(true);
  let written: Promise<Buffer[]> | undefined;
  const { origin, pool } = await backend(({ res }) => {
    written = writeParts(res, parts);
  });

  const reply = await exchange(pool, get(origin), live());

  expect(reply.text).toBe(text);
  const hex = (chunks: Buffer[] | undefined) => chunks?.map((chunk) => chunk.toString('hex'));
  expect(hex(await written)).toEqual(hex(parts));
});

it('resolves a non-2xx answer, and an empty body as empty text', async () => {
  const answers: Record<string, [number, string]> = {
    '/busy': [503, '{"error":"overloaded"}'],
    '/empty': [200, ''],
    '/none': [204, ''],
  };
  const { origin, pool } = await backend(({ res, url }) => {
    const [status, body] = answers[url ?? ''] ?? [404, 'unexpected'];
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
  });

  for (const [path, [status, text]] of Object.entries(answers)) {
    const reply = await exchange(pool, get(origin, path), live());
    expect(reply).toMatchObject({ status, text, headers: { 'content-type': 'application/json' } });
  }
});

it('resolves the final answer after 103 Early Hints from node:http', async () => {
  const statuses = watch('undici:request:headers', (m) =>
    isRecord(m.response) && typeof m.response.statusCode === 'number'
      ? m.response.statusCode
      : undefined,
  );
  const { origin, pool } = await backend(async ({ res }) => {
    res.writeEarlyHints({ link: '</x>; rel=preload' });
    await statuses.atLeast(1);
    res.writeHead(200, { 'X-Final': 'yes' }).end('final');
  });

  const reply = await exchange(pool, get(origin), live());

  expect(statuses.seen).toEqual([103, 200]);
  expect(reply).toMatchObject({ status: 200, text: 'final', headers: { 'x-final': 'yes' } });
  expect(reply.headers).not.toHaveProperty('link');
});

it('resolves the final answer after a raw 103 in the same packet', async () => {
  const server = createTcpServer((socket) => {
    const early = 'HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n';
    const final = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\n\r\nok';
    socket.once('data', () => socket.end(early + final));
  });
  const { origin, pool } = await serve(server);

  const reply = await exchange(pool, get(origin), live());

  expect(reply).toMatchObject({ status: 200, text: 'ok', headers: { 'x-final': 'yes' } });
  expect(reply.headers).not.toHaveProperty('link');
});

it('delivers the method, path, headers and body exactly', async () => {
  const { origin, pool, received } = await backend(({ res }) => res.end('{}'));
  const body = JSON.stringify({ title: 'héllo 日本', tags: ['a'] });
  const path = '/prefix/v1/notes?limit=5&cursor=a+b';
  const headers = { 'Content-Type': 'application/json', 'X-Correlation-ID': 'corr-1' };

  await exchange(pool, { origin, path, method: 'POST', headers, body }, live());

  expect(received).toMatchObject([{ method: 'POST', url: path, body }]);
  const length = String(Buffer.byteLength(body));
  const sent = { 'content-type': 'application/json', 'x-correlation-id': 'corr-1' };
  expect(received[0]!.headers).toMatchObject({ ...sent, 'content-length': length });
});

it('reuses the connection once an exchange has completed', async () => {
  // One connection: undici frees a socket for reuse a macrotask after the answer ends
  // (setImmediate in client-h1), so an unbounded pool would open another for the next call.
  const { origin, pool, received, connections } = await backend(
    ({ res, url }) => res.end(`answer to ${url ?? ''}`),
    { connections: 1 },
  );

  for (const path of ['/1', '/2', '/3']) {
    const reply = await exchange(pool, get(origin, path), live());
    expect(reply.text).toBe(`answer to ${path}`);
  }

  expect(received.map((request) => request.url)).toEqual(['/1', '/2', '/3']);
  expect(new Set(received.map((request) => request.socket)).size).toBe(1);
  expect(connections()).toBe(1);
});

it('an answer that announces more than maxBytes is refused before its body is read', async () => {
  const { origin, pool, received } = await backend(({ res }) => {
    res.setHeader('Content-Length', 64);
    res.write('x'.repeat(16)); // the rest never comes: the client must not wait for it
  });
  const signal = live();

  const error = await failure(exchange(pool, get(origin), signal, 32));

  expect(error).toBeInstanceOf(ResponseTooLarge);
  expect(error).toMatchObject({ limit: 32 });
  const { res } = received[0]!;
  if (!res.destroyed) await once(res, 'close'); // the request was aborted, its socket closed
  expect(getEventListeners(signal, 'abort')).toHaveLength(0);
});

it('a chunked answer is cut once it passes maxBytes, and the pool serves the next call', async () => {
  const { origin, pool, received } = await backend(({ res, url }) => {
    if (url === '/big')
      res.write('y'.repeat(40)); // chunked, never ended
    else res.end('small');
  });

  await expect(exchange(pool, get(origin, '/big'), live(), 32)).rejects.toBeInstanceOf(
    ResponseTooLarge,
  );
  const { res } = received[0]!;
  if (!res.destroyed) await once(res, 'close');
  expect(res.writableEnded).toBe(false);
  // At the limit exactly is accepted.
  const reply = await exchange(pool, get(origin, '/next'), live(), 5);
  expect(reply.text).toBe('small');
});

it('an already aborted signal rejects with its reason and sends nothing', async () => {
  const { origin, pool, received, connections } = await backend(({ res }) => res.end('ok'));
  const reason = new Error('caller gave up');
  const pending = exchange(pool, get(origin, '/never'), AbortSignal.abort(reason));

  await expect(pending).rejects.toBe(reason);
  await exchange(pool, get(origin, '/after'), live());

  expect(received.map((request) => request.url)).toEqual(['/after']);
  expect(connections()).toBe(1);
});

it('aborting while the server holds the answer rejects promptly and closes the request', async () => {
  const { origin, pool, received } = await backend(() => undefined);
  const controller = new AbortController();
  const reason = new Error('deadline');

  const pending = exchange(pool, get(origin), controller.signal);
  await expect.poll(() => received.length).toBe(1);
  const { res } = received[0]!;
  const closed = once(res, 'close');
  const started = performance.now();
  controller.abort(reason);

  await expect(pending).rejects.toBe(reason);
  expect(performance.now() - started).toBeLessThan(2_000);
  await closed;
  expect(res.writableEnded).toBe(false);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

it('aborting while queued rejects promptly and the request is never sent', async () => {
  const held = Promise.withResolvers<undefined>();
  const { origin, pool, received } = await backend(
    async ({ res, url }) => {
      if (url === '/first') await held.promise;
      res.end(`done ${url ?? ''}`);
    },
    { connections: 1 },
  );
  const first = exchange(pool, get(origin, '/first'), live());
  await expect.poll(() => received.length).toBe(1);
  const controller = new AbortController();
  const reason = new Error('queued too long');

  const second = exchange(pool, get(origin, '/second'), controller.signal);
  const started = performance.now();
  controller.abort(reason);

  await expect(second).rejects.toBe(reason);
  expect(performance.now() - started).toBeLessThan(2_000);
  held.resolve(undefined);
  await expect(first).resolves.toMatchObject({ status: 200, text: 'done /first' });
  // The pool takes its queue in order: the aborted request comes up before this one.
  expect((await exchange(pool, get(origin, '/third'), live())).text).toBe('done /third');
  expect(received.map((request) => request.url)).toEqual(['/first', '/third']);
});

it('a reason that is not an Error becomes an AbortError, before or during the call', async () => {
  const { origin, pool, received } = await backend(() => undefined);
  const controller = new AbortController();
  const inFlight = failure(exchange(pool, get(origin), controller.signal));
  await expect.poll(() => received.length).toBe(1);
  controller.abort('stop');

  const early = await failure(exchange(pool, get(origin), controller.signal));

  for (const error of [await inFlight, early]) {
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'AbortError' });
  }
  expect(received).toHaveLength(1);
});

it('the server destroying the socket mid-body is undici’s socket error', async () => {
  const { origin, pool } = await backend(async ({ res }) => {
    const chunks = bodyChunks();
    res.writeHead(200, { 'Content-Length': '100' });
    res.write('only part of it');
    await chunks.atLeast(1);
    res.destroy();
  });
  const signal = live();

  const error = await failure(exchange(pool, get(origin), signal));

  expect(error).toBeInstanceOf(errors.SocketError);
  expect(error).toMatchObject({ code: 'UND_ERR_SOCKET' });
  expect(getEventListeners(signal, 'abort')).toHaveLength(0);
});

it('nothing listening is ECONNREFUSED', async () => {
  const probe = createTcpServer();
  const { origin, pool } = await serve(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const error = await failure(exchange(pool, get(origin), live()));

  expect(error).toBeInstanceOf(Error);
  const cause = isRecord(error) ? error.cause : undefined;
  expect([error, cause].map((value) => isRecord(value) && value.code)).toContain('ECONNREFUSED');
});

it('a header value undici refuses rejects with InvalidArgumentError, sending nothing', async () => {
  const { origin, pool, received } = await backend(({ res }) => res.end('ok'));
  const bad: Exchange = { ...get(origin), headers: { 'X-Note': 'a\r\nInjected: 1' } };

  let pending: Promise<unknown> = Promise.resolve();
  expect(() => {
    pending = failure(exchange(pool, bad, live()));
  }).not.toThrow();
  const error = await pending;

  expect(error).toBeInstanceOf(errors.InvalidArgumentError);
  expect(error).toMatchObject({ code: 'UND_ERR_INVALID_ARG' });
  await exchange(pool, get(origin, '/after'), live());
  expect(received.map((request) => request.url)).toEqual(['/after']);
});
