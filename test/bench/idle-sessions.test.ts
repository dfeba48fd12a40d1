/**
 * What the idle-session memory benchmark relies on: its text/event-stream reader, its legacy SSE
 * handshake (against a loopback server that answers as the gateway does), and bytes per session.
 */
import { createServer, type ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MCP_REMOTE_CLIENT, endpoint } from '../../bench/lib/mcp.ts';
import { perSession } from '../../bench/lib/memory-phase.ts';
import { openSseSession, readEvents } from '../../bench/lib/sse-session.ts';
import { listen, onCleanup } from '../helpers/loopback.ts';

describe.each([
  {
    name: 'an endpoint event',
    buffer: 'event: endpoint\ndata: /messages/?session_id=ab\n\n',
    events: [{ event: 'endpoint', data: '/messages/?session_id=ab' }],
    rest: '',
  },
  {
    name: 'a message without an event line, then half of the next block',
    buffer: 'data: {"id":0}\n\nevent: message\ndata: {"id"',
    events: [{ event: 'message', data: '{"id":0}' }],
    rest: 'event: message\ndata: {"id"',
  },
  {
    name: 'a keep-alive comment (no event) and CRLF line ends',
    buffer: ': ping\r\n\r\nevent: message\r\ndata: a\r\ndata: b\r\n\r\n',
    events: [{ event: 'message', data: 'a\nb' }],
    rest: '',
  },
  {
    name: 'a value without the space after the colon',
    buffer: 'event:endpoint\ndata:/x\n\n',
    events: [{ event: 'endpoint', data: '/x' }],
    rest: '',
  },
  {
    name: 'nothing complete yet',
    buffer: 'event: endpoint\n',
    events: [],
    rest: 'event: endpoint\n',
  },
])('readEvents: $name', ({ buffer, events, rest }) => {
  it('splits off the complete events', () => {
    expect(readEvents(buffer)).toEqual({ events, rest });
  });
});

it('perSession divides what the gateway retained and its RSS growth by the sessions', () => {
  const bytes = perSession(
    {
      beforeRssKiB: 100_000,
      afterRssKiB: 110_000,
      heapBefore: 40_000_000,
      heapAfter: 70_000_000,
      externalBefore: 1_000_000,
      externalAfter: 1_500_000,
    },
    5_000,
  );
  expect(bytes).toEqual({ retained: 6_100, heap: 6_000, external: 100, rss: 2_048 });
});

/** Answers GET /sse and POST /messages/ as the gateway does; the answer comes before the 202. */
async function sseServer() {
  const seen: { method: string; url: string; body: string }[] = [];
  let stream: ServerResponse | undefined;
  const streamClosed = Promise.withResolvers<true>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      if (req.method === 'GET' && req.url === '/sse') {
        stream = res;
        res.on('close', () => streamClosed.resolve(true));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': ping\n\nevent: endpoint\ndata: /messages/?session_id=0123\n\n');
        return;
      }
      if (body.includes('"method":"initialize"')) {
        stream?.write('event: message\ndata: {"jsonrpc":"2.0","id":0,"result":{}}\n\n');
      }
      res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
    });
  });
  return { origin: await listen(server), seen, streamClosed: streamClosed.promise };
}

describe('openSseSession', () => {
  it('reads the endpoint, initializes there, and holds the stream until let go', async () => {
    const { origin, seen, streamClosed } = await sseServer();
    const to = endpoint(origin, 2);
    onCleanup(() => to.pool.close());

    const letGo = await openSseSession(to, 'Bearer t', MCP_REMOTE_CLIENT);

    expect(seen.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'GET /sse',
      'POST /messages/?session_id=0123',
      'POST /messages/?session_id=0123',
    ]);
    expect(JSON.parse(seen[1]!.body)).toEqual({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: MCP_REMOTE_CLIENT,
    });
    expect(JSON.parse(seen[2]!.body)).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/initialized',
    });
    letGo();
    await expect(streamClosed).resolves.toBe(true);
  });

  it('fails with the status when GET /sse is refused', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(401).end('no token');
    });
    const to = endpoint(await listen(server), 1);
    onCleanup(() => to.pool.close());

    await expect(openSseSession(to, 'Bearer t', MCP_REMOTE_CLIENT)).rejects.toThrow(
      /GET \/sse answered 401: no token/,
    );
  });
});
