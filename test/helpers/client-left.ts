/**
 * A client that gives up while its request is still being authenticated (a slow JWKS fetch): by
 * the time a handler gets the request, the connection is closed and `close` will not come again.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type RequestListener } from 'node:http';
import { listen } from './loopback.ts';

/** Serves `listener` on loopback and sends GET `path`; `leave()` hangs up. */
export async function openRequest(
  listener: RequestListener,
  path = '/',
): Promise<{ sent: Promise<void>; leave: () => void }> {
  const origin = await listen(createServer(listener));
  const req = request(`${origin}${path}`, { headers: { accept: 'text/event-stream' } });
  req.on('error', () => undefined);
  const sent = new Promise<void>((resolve) => {
    req.end(resolve);
  });
  return { sent, leave: () => req.destroy() };
}

/** Serves `listener` on loopback, sends GET `path` and hangs up as soon as it is sent. */
export async function requestAndLeave(listener: RequestListener, path = '/'): Promise<void> {
  const { sent, leave } = await openRequest(listener, path);
  await sent;
  setImmediate(leave);
}

/** Resolves once the request's connection is closed (at once if it already is). */
export const whenGone = (req: IncomingMessage): Promise<void> =>
  req.socket.destroyed ? Promise.resolve() : once(req.socket, 'close').then(() => undefined);
