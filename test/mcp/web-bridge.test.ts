import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { clientGone, sendWebResponse, toWebRequest } from '../../src/mcp/web-bridge.ts';
import { requestAndLeave, whenGone } from '../helpers/client-left.ts';
import { listen } from '../helpers/loopback.ts';

/** A loopback server answering every request with `answer(req)` through the bridge. */
async function serve(answer: (req: IncomingMessage, signal: AbortSignal) => Promise<Response>) {
  const server = createServer((req, res) => {
    const signal = clientGone(res);
    void answer(req, signal).then((response) => sendWebResponse(res, response, signal));
  });
  return listen(server);
}

/** Raw HTTP/1.1 exchange, so framing (Content-Length vs chunked) is visible. */
async function raw(origin: string, text: string): Promise<string> {
  const { port } = new URL(origin);
  const socket = connect(Number(port), '127.0.0.1');
  socket.write(text);
  let received = '';
  socket.setEncoding('utf8');
  // The request says Connection: close, so the server ends the socket after the answer.
  for await (const chunk of socket) received += String(chunk);
  return received;
}

describe('toWebRequest', () => {
  it('keeps method, URL and every header, and takes its signal from the Node request', async () => {
    let seen: Request | undefined;
    const controller = new AbortController();
    const origin = await serve((req) => {
      seen = toWebRequest(req, controller.signal);
      return Promise.resolve(new Response(null, { status: 204 }));
    });
    const response = await fetch(`${origin}/mcp?x=1`, {
      method: 'POST',
      headers: { 'mcp-session-id': 'abc', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(204);
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe(`${origin}/mcp?x=1`);
    expect(seen?.headers.get('mcp-session-id')).toBe('abc');
    expect(seen?.headers.get('content-type')).toBe('application/json');
    // The body stays with Express (the SDK gets it as parsedBody).
    expect(seen?.body).toBeNull();
    expect(seen?.signal).toBe(controller.signal);
    controller.abort();
    expect(seen?.signal.aborted).toBe(true);
  });
});

describe('toWebRequest with unusual targets and hosts', () => {
  /** The URL toWebRequest gives for a raw request, or the error it threw. */
  async function urlFor(text: string): Promise<string> {
    let seen = '';
    const origin = await serve((req) => {
      try {
        seen = toWebRequest(req, new AbortController().signal).url;
      } catch (error) {
        seen = `threw ${String(error)}`;
      }
      return Promise.resolve(new Response(null, { status: 204 }));
    });
    await raw(origin, text.replaceAll('ORIGIN', origin));
    return seen;
  }

  it('an absolute-form target keeps its path and query', async () => {
    const url = await urlFor(
      'POST ORIGIN/mcp?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    expect(url).toBe('http://127.0.0.1/mcp?x=1');
  });

  it('a Host header that is no valid authority does not make it throw', async () => {
    const url = await urlFor('GET /mcp HTTP/1.1\r\nHost: a@b c\r\nConnection: close\r\n\r\n');
    expect(url).toBe('http://localhost/mcp');
  });
});

describe('sendWebResponse', () => {
  it('writes a JSON answer with its Content-Length, not chunked, headers and status kept', async () => {
    const origin = await serve(() =>
      Promise.resolve(
        Response.json(
          { jsonrpc: '2.0', id: 1, result: { ok: 'é' } },
          {
            status: 200,
            headers: { 'mcp-session-id': 'session-1' },
          },
        ),
      ),
    );
    const text = await raw(
      origin,
      'POST /mcp HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    );
    const [head = '', body] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head).toMatch(/mcp-session-id: session-1/i);
    expect(head).toMatch(/content-type: application\/json/i);
    expect(head).not.toMatch(/transfer-encoding/i);
    const expected = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { ok: 'é' } });
    expect(head).toMatch(new RegExp(`content-length: ${Buffer.byteLength(expected)}`, 'i'));
    expect(body).toBe(expected);
  });

  it('answers a bodiless response (202) with an empty body', async () => {
    const origin = await serve(() => Promise.resolve(new Response(null, { status: 202 })));
    const response = await fetch(`${origin}/mcp`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
  });

  it('streams an event stream chunk by chunk until it ends', async () => {
    const origin = await serve(() => {
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode('event: message\ndata: {"a":1}\n\n'));
          await new Promise((resolve) => setTimeout(resolve, 20));
          controller.enqueue(encoder.encode('event: message\ndata: {"b":2}\n\n'));
          controller.close();
        },
      });
      return Promise.resolve(
        new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
      );
    });
    const response = await fetch(`${origin}/mcp`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe(
      'event: message\ndata: {"a":1}\n\nevent: message\ndata: {"b":2}\n\n',
    );
  });

  it('cancels the stream (so the SDK drops it) when the client goes away', async () => {
    let cancelled: (reason: unknown) => void = () => undefined;
    const wasCancelled = new Promise((resolve) => {
      cancelled = resolve;
    });
    let sawAbort = false;
    const origin = await serve((_req, signal) => {
      signal.addEventListener('abort', () => {
        sawAbort = true;
      });
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(': open\n\n'));
        },
        cancel(reason) {
          cancelled(reason);
        },
      });
      return Promise.resolve(
        new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${origin}/mcp`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.once('timeout', () => {
        reject(new Error('no first event'));
      });
      req.end();
    });
    await wasCancelled;
    expect(sawAbort).toBe(true);
  });
});

describe('clientGone', () => {
  it('stays quiet for an answer that was delivered', async () => {
    let signal: AbortSignal | undefined;
    const origin = await serve((_req, s) => {
      signal = s;
      return Promise.resolve(Response.json({ ok: true }));
    });
    await (await fetch(`${origin}/mcp`)).text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signal?.aborted).toBe(false);
  });

  it('fires at once for a client that left before the handler ran (during a slow auth)', async () => {
    const { res } = await leftBeforeHandling();
    expect(clientGone(res).aborted).toBe(true);
  });
});

/** The request and response a handler gets after its client has left (see client-left.ts). */
function leftBeforeHandling(): Promise<{ req: IncomingMessage; res: ServerResponse }> {
  return new Promise((resolve) => {
    void requestAndLeave((req, res) => {
      void whenGone(req).then(() => {
        resolve({ req, res });
      });
    });
  });
}

describe('a client that left before its answer started', () => {
  it('an event stream is cancelled and the write ends without waiting for drain', async () => {
    const { res } = await leftBeforeHandling();
    const signal = clientGone(res);
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(`data: ${'x'.repeat(65_536)}\n\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    await sendWebResponse(
      res,
      new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
      signal,
    );
    expect(cancelled).toBe(true);
    expect(res.writableEnded).toBe(true);
  });
});
