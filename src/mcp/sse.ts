import { randomBytes } from 'node:crypto';
import type {
  AuthInfo,
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
} from '@modelcontextprotocol/server';
import type { Response } from 'express';
import type { SessionRecord } from '../store/index.ts';
import { PLAIN_IDS, type SessionIds } from './fly-replay.ts';
import { ownerKey, type AuthedRequest } from './principal.ts';
import type { NewServer } from './server.ts';
import { chain, isMessage, type SessionRegistry } from './sessions.ts';
import { alreadyGone } from './web-bridge.ts';

/**
 * The legacy HTTP+SSE transport as the Python service served it (CONTRACT.md C.2):
 * `GET /sse` opens the stream and sends an `endpoint` event naming
 * `/messages/?session_id=<32 hex>`; clients POST JSON-RPC there, get `202 Accepted`, and read the
 * replies as `message` events on the stream.
 */

export const MESSAGES_PATH = '/messages/';
const KEEPALIVE_MS = 15_000;
const SESSION_ID = /^[0-9a-f]{32}$/;

export interface SseTransport extends Transport {
  /**
   * Hands one POSTed message to the protocol instance, with the POST's own credentials; without
   * them (a message relayed from another replica, which never carries a token through Redis),
   * with those that opened the stream: the same principal, since the session is its owner's.
   */
  deliver(message: JSONRPCMessage, authInfo?: AuthInfo): void;
}

function createSseTransport(
  res: Response,
  sessionId: string,
  opener: AuthInfo | undefined,
): SseTransport {
  let closed = false;
  let keepalive: NodeJS.Timeout | undefined;
  const transport: SseTransport = {
    sessionId,
    start() {
      // The client may leave before the protocol instance starts the transport.
      if (closed) return Promise.resolve();
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write(`event: endpoint\ndata: ${MESSAGES_PATH}?session_id=${sessionId}\n\n`);
      keepalive = setInterval(() => res.write(': ping\n\n'), KEEPALIVE_MS);
      keepalive.unref();
      return Promise.resolve();
    },
    send(message) {
      if (!closed) res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
      return Promise.resolve();
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      clearInterval(keepalive);
      res.end();
      transport.onclose?.();
      return Promise.resolve();
    },
    deliver(message, authInfo = opener) {
      const extra: MessageExtraInfo = authInfo === undefined ? {} : { authInfo };
      transport.onmessage?.(message, extra);
    },
  };
  // From the start, not from start(): a client that leaves before then must end the session.
  res.on('close', () => void transport.close());
  return transport;
}

const ownerOf = (req: AuthedRequest) => ownerKey(req.principal);
const accepted = (res: Response) => res.status(202).type('text/plain').send('Accepted');
const notFound = (res: Response) =>
  res.status(404).type('text/plain').send('Could not find session');

/** Logs one refused request (http/rejections.ts); the default logs nothing. */
type Rejected = (res: Response, status: number, code: string, reason: string) => void;

export function createSseHandlers(
  newServer: NewServer,
  sessions: SessionRegistry,
  rejected: Rejected = () => undefined,
  now: (() => number) | undefined = Date.now,
  ids: SessionIds = PLAIN_IDS,
) {
  const refuse = (res: Response, text: string) => {
    rejected(res, 400, 'mcp.rejected', text);
    res.status(400).type('text/plain').send(text);
  };
  return {
    /** GET /sse */
    open: async (req: AuthedRequest, res: Response): Promise<void> => {
      // Left while the request was authenticated: nothing to open, nobody to stream to.
      if (alreadyGone(res)) return;
      const id = ids.mint(randomBytes(16).toString('hex'));
      const transport = createSseTransport(res, id, req.auth);
      const time = now();
      const owner = ownerOf(req);
      const record: SessionRecord = {
        id,
        owner,
        kind: 'sse',
        createdAt: time,
        lastUsedAt: time,
        ...(sessions.replica === undefined ? {} : { holder: sessions.replica }),
      };
      await sessions.open(record, { kind: 'sse', transport });
      // The session is its stream: connected, it is in use however quiet (as in Python).
      const release = sessions.hold(id, owner);
      transport.onclose = chain(transport.onclose, () => {
        release();
        // With the store unreachable the record stays until its idle time runs out.
        sessions.end(id).catch(() => undefined);
      });
      await newServer('sse').connect(transport);
    },

    /**
     * POST /messages/?session_id=… — answers like the Python SDK's SseServerTransport. The
     * stream may be on another replica: the message is relayed there, and 202 means it arrived.
     */
    post: async (req: AuthedRequest, res: Response): Promise<void> => {
      const id = req.query['session_id'];
      if (typeof id !== 'string' || id === '') {
        refuse(res, 'session_id is required');
        return;
      }
      if (!SESSION_ID.test(ids.randomPart(id))) {
        refuse(res, 'Invalid session ID');
        return;
      }
      const session = await sessions.use(id, ownerOf(req));
      if (session?.record.kind !== 'sse') {
        notFound(res);
        return;
      }
      const body: unknown = req.body;
      if (!isMessage(body)) {
        refuse(res, 'Could not parse message');
        return;
      }
      if (session.live?.kind === 'sse') {
        accepted(res);
        session.live.transport.deliver(body, req.auth);
      } else if (await sessions.forward(session.record, body)) accepted(res);
      // Its holder is gone (or the stream closed a moment ago): the session with it.
      else notFound(res);
    },
  };
}
