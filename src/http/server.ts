import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';

/**
 * The node:http servers the gateway listens with (the MCP port and the metrics port), hardened
 * against clients that send their request slowly. Node's defaults let a header trickle hold a
 * connection for 60 s, checked every 30 s, and a body trickle for 5 minutes; measured, hundreds
 * of such connections stayed open for 90 s.
 */

/** TOOLBRIDGE_HTTP_HEADER_TIMEOUT_SECONDS and TOOLBRIDGE_HTTP_BODY_TIMEOUT_SECONDS. */
export interface HttpTimeouts {
  /** The request line and headers must have arrived this long after the request's first byte. */
  readonly headerSeconds: number;
  /** The body gets this much more: the whole request must arrive within headers + body. */
  readonly bodySeconds: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headerSeconds: 10, bodySeconds: 30 };

/**
 * How often node looks for requests past their deadline (its default is 30 s, which would let a
 * trickle outlive a 10 s deadline by up to 30 s). The check walks only connections with a request
 * still arriving, so once a second costs little.
 */
const DEADLINE_CHECK_MS = 1000;

/**
 * After an answer given before its request's body arrived (401, 403, 413, ...), how long the rest
 * of the body may take. Node would read and discard it to keep the connection, for as long as the
 * client trickles it; a client sending at a normal rate finishes within this and keeps its
 * keep-alive connection, a trickler is cut. Not at once: closing a socket with unread input resets
 * it, and a reset can reach the client before it has read the answer.
 */
export const UNREAD_BODY_GRACE_MS = 2000;

/**
 * `requestTimeout` bounds only the receiving of a request: node stops counting once the request's
 * last byte is read, so an answer may stream for as long as it needs (SSE, GET /mcp, a slow tool
 * call). test/http/server.test.ts holds node to that.
 */
export function createHttpServer(
  handler: RequestListener,
  timeouts: HttpTimeouts = DEFAULT_HTTP_TIMEOUTS,
): Server {
  const headerMs = timeouts.headerSeconds * 1000;
  // Node refuses a headers timeout longer than the request timeout; the sum never is.
  const requestMs = headerMs + timeouts.bodySeconds * 1000;
  return createServer(
    {
      headersTimeout: headerMs,
      requestTimeout: requestMs,
      connectionsCheckingInterval: Math.min(DEADLINE_CHECK_MS, headerMs),
    },
    (req, res) => {
      res.once('finish', cutUnreadBody);
      handler(req, res);
    },
  );
}

/** On a finished answer: a body still arriving gets UNREAD_BODY_GRACE_MS, then the socket closes. */
function cutUnreadBody(this: ServerResponse): void {
  const { req } = this;
  if (req.complete) return;
  const { socket } = req;
  const timer = setTimeout(() => {
    socket.destroy();
  }, UNREAD_BODY_GRACE_MS);
  const settled = () => {
    clearTimeout(timer);
    req.off('end', settled);
    socket.off('close', settled);
  };
  req.once('end', settled);
  socket.once('close', settled);
}
