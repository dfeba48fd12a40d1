/**
 * Node ↔ web bridge for the SDK's web-standard MCP entry points (the 2026-07-28 handler and the
 * 2025-era session transport), used instead of the SDK's Node adapters because of what
 * bench/gateway.ts measured:
 *
 * - A JSON answer leaves in one `end(body)` with a Content-Length: one socket write. The SDK's
 *   adapters stream every answer as a chunked body and its terminator; at half of peak load the
 *   2025-era path then had a p99 of 50–65 ms with GC pauses of at most 6–13 ms, and 10–25 ms
 *   through this bridge.
 * - The web Request is built without an AbortSignal in its init: Node's Request registers such a
 *   signal in a FinalizationRegistry per request. Its `signal` property is ours instead, and
 *   fires when the client goes away before its answer is complete.
 *
 * The body is never attached: Express has parsed it and the SDK takes it as `parsedBody`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadableStreamReadResult } from 'node:stream/web';

/** A web Request whose `signal` is the Node request's own abort signal. */
class BridgedRequest extends Request {
  constructor(url: string, init: RequestInit, signal: AbortSignal) {
    super(url, init);
    // An own property shadowing Request's `signal` getter (TypeScript refuses an accessor
    // override of what the DOM types declare as a property).
    Object.defineProperty(this, 'signal', { value: signal, enumerable: true });
  }
}

/** The request line and headers as a web Request (no body), aborting when `signal` does. */
/**
 * The request's URL for the web Request. The target may be in absolute form
 * (`POST http://host/mcp HTTP/1.1`, which HTTP/1.1 servers must accept) and the Host header
 * anything a client sent: neither may make `new Request` throw, which the SDK would answer 500.
 */
function urlOf(req: IncomingMessage): string {
  const target = new URL(req.url ?? '/', 'http://localhost');
  const host = req.headers.host;
  const origin =
    host !== undefined && URL.canParse(`http://${host}`) ? `http://${host}` : 'http://localhost';
  return new URL(`${target.pathname}${target.search}`, origin).href;
}

export function toWebRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name !== undefined && value !== undefined) headers.append(name, value);
  }
  return new BridgedRequest(urlOf(req), { method: req.method ?? 'GET', headers }, signal);
}

/** Whether the client's connection is already closed (e.g. it left during authentication). */
export const alreadyGone = (res: ServerResponse): boolean =>
  res.destroyed || res.req.socket.destroyed;

/** An AbortSignal that fires when the client goes away before its answer is complete. */
export function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  // 'close' has been emitted already when the client left while the request was authenticated
  // (a slow JWKS fetch): it will not come again, so the signal fires now.
  if (alreadyGone(res)) {
    controller.abort();
    return controller.signal;
  }
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

const isEventStream = (response: Response) =>
  response.headers.get('content-type')?.toLowerCase().startsWith('text/event-stream') === true;

/**
 * Writes a web Response to `res`. A finite body goes out in one write with its length; an event
 * stream is copied chunk by chunk with backpressure until it ends or the client goes away.
 */
export async function sendWebResponse(
  res: ServerResponse,
  response: Response,
  signal: AbortSignal,
): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (response.body === null) {
    res.end();
    return;
  }
  if (!isEventStream(response)) {
    const body = Buffer.from(await response.arrayBuffer());
    res.setHeader('content-length', body.byteLength);
    res.end(body);
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  // A client that goes away ends the copy; cancelling tells the SDK, which drops the stream.
  const stop = () => {
    reader.cancel().catch(() => undefined);
  };
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const chunk: ReadableStreamReadResult<Uint8Array> = await reader.read();
      if (chunk.done || signal.aborted) break;
      if (!res.write(chunk.value)) await drained(res, signal);
    }
  } catch {
    // The SDK errored the stream or the client left: the answer ends here either way.
  } finally {
    signal.removeEventListener('abort', stop);
    res.end();
  }
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || alreadyGone(res)) {
      resolve();
      return;
    }
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
