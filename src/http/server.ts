import { STATUS_CODES, Server, type RequestListener, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterNextPoll } from '../drain.ts';
import type { Logger } from '../log.ts';

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
  logger?: Logger,
): Server {
  const headerMs = timeouts.headerSeconds * 1000;
  // Node refuses a headers timeout longer than the request timeout; the sum never is.
  const requestMs = headerMs + timeouts.bodySeconds * 1000;
  // Each connection's latest answer, for what node reports about the connection (clientError).
  const latest = new WeakMap<Duplex, ServerResponse>();
  const server: ClosingServer = new ClosingServer(
    {
      headersTimeout: headerMs,
      requestTimeout: requestMs,
      connectionsCheckingInterval: Math.min(DEADLINE_CHECK_MS, headerMs),
    },
    (req, res) => {
      latest.set(req.socket, res);
      res.once('finish', cutUnreadBody);
      server.lastOnItsConnection(res);
      handler(req, res);
    },
  );
  server.on('clientError', (error: Error, socket: Duplex) => {
    clientError(error, socket, latest.get(socket), logger);
  });
  return server;
}

/**
 * A server that stops without losing requests a balancer has already sent it. Node's close()
 * stops accepting and drops idle keep-alive connections, and that loses requests two ways when a
 * balancer pools connections (HAProxy, Fly's proxy), as measured with k6 through HAProxy
 * (test/e2e/replica-faults.test.ts):
 *
 * - An answer still being prepared goes out with `Connection: keep-alive`, so the balancer sends
 *   its next request down that connection: a SIGTERMed replica kept receiving requests through
 *   its drain, ran into the drain timeout and cut calls, or reset requests that had just arrived
 *   when it closed its last connections. Here every answer written after close() says
 *   `Connection: close`, so no connection carries another request; the balancer opens a new one,
 *   to a replica that listens.
 * - A request the balancer sent down an idle connection just before close() may sit unread on the
 *   socket; dropping the connection with it resets it, and the request gets no answer
 *   (test/http/server.test.ts reproduces it). Here idle connections are dropped only after the
 *   event loop has read what had arrived on them: one that received a request is then busy,
 *   answered (with `Connection: close`) and counted by the drain (drain.ts waits for the same
 *   read).
 */
class ClosingServer extends Server {
  /** Answers begun while listening whose headers may not have gone out yet. */
  readonly #answering = new Set<ServerResponse>();

  /** Called as each request arrives. */
  lastOnItsConnection(res: ServerResponse): void {
    if (!this.listening) {
      res.setHeader('Connection', 'close');
      return;
    }
    this.#answering.add(res);
    res.once('close', () => this.#answering.delete(res));
  }

  override close(callback?: (error?: Error) => void): this {
    for (const res of this.#answering) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    this.#answering.clear();
    // Calls closeIdleConnections() below.
    return super.close(callback);
  }

  override closeIdleConnections(): void {
    afterNextPoll(() => {
      super.closeIdleConnections();
    });
  }
}

/** Node's codes for a client that went away: nothing it sent was wrong. */
const CLIENT_LEFT = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);
/** What node answers, by code, before closing; anything else is 400. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};
const REASON_BY_STATUS: Readonly<Record<number, string>> = {
  408: 'the request did not arrive within the header or body timeout',
  431: 'the request headers are too large',
  413: 'the chunk extensions are too large',
};

/**
 * A request node's parser refused or timed out. Node's own handling (a bare 4xx, then close) is
 * kept, plus one warning line like the app's (rejections.ts), with node's code and never the
 * error, which holds the raw bytes received, Authorization header included. A request that timed
 * out while its body was being read is left to its reader, which reports it (json-body.ts).
 */
function clientError(
  error: Error,
  socket: Duplex,
  res: ServerResponse | undefined,
  logger: Logger | undefined,
): void {
  const code = 'code' in error && typeof error.code === 'string' ? error.code : 'HPE_UNKNOWN';
  const status = STATUS_BY_CODE[code] ?? 400;
  const reading = res !== undefined && !res.req.complete;
  if (!CLIENT_LEFT.has(code) && !reading) {
    const reason = REASON_BY_STATUS[status] ?? 'not a well-formed HTTP/1.1 request';
    logger?.warn({ status, code, reason }, 'request rejected');
  }
  const answering = res !== undefined && res.headersSent && !res.writableFinished;
  if (socket.writable && !answering) {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy();
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
