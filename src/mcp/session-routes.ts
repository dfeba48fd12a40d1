/**
 * 2025-era Streamable HTTP sessions at /mcp: `initialize` opens one, POSTs deliver messages to its
 * protocol instance through its SessionTransport, GET opens its server→client stream, DELETE ends
 * it. streamable.ts routes here once it knows the request belongs to this era.
 */
import { randomUUID } from 'node:crypto';
import type { JSONRPCRequest } from '@modelcontextprotocol/server';
import type { Response } from 'express';
import type { SessionRecord } from '../store/index.ts';
import type { RequestLogging } from './entry-reports.ts';
import { PLAIN_IDS, type SessionIds } from './fly-replay.ts';
import type { NewServer } from './server.ts';
import {
  ALREADY_INITIALIZED,
  STREAM_CONFLICT,
  hasInitialize,
  idInUse,
  initializeOf,
  isRefusal,
  messagesOf,
  postHeaders,
  streamHeaders,
  versionHeader,
  writeAnswer,
  writeJson,
  writeRefusal,
  type Refusal,
} from './session-http.ts';
import type { AuthedRequest } from './principal.ts';
import { SessionTransport } from './session-transport.ts';
import type { SessionRegistry } from './sessions.ts';
import { clientGone } from './web-bridge.ts';

/** The id of the `initialize` a rebuilt protocol instance is given; its answer goes nowhere. */
const REVIVE_ID = 'toolbridge-revive';

/**
 * The live part of a session from its record: a new protocol instance that goes through the
 * same `initialize` the client once sent, so the SDK holds the stored version, client info and
 * capabilities exactly as if this process had served the handshake.
 */
export async function reviveSession(
  newServer: NewServer,
  record: SessionRecord,
): Promise<SessionTransport> {
  const transport = new SessionTransport(record.id);
  await newServer(record.kind).connect(transport);
  const { protocolVersion, clientInfo, capabilities } = record;
  const replay: JSONRPCRequest = {
    jsonrpc: '2.0',
    id: REVIVE_ID,
    method: 'initialize',
    params: { protocolVersion, clientInfo, capabilities },
  };
  await transport.deliver([replay], undefined, new AbortController().signal);
  return transport;
}

export function createSessionRoutes(
  newServer: NewServer,
  sessions: SessionRegistry,
  logging: RequestLogging<Response>,
  now: (() => number) | undefined = Date.now,
  ids: SessionIds = PLAIN_IDS,
) {
  const refuse = (res: Response, problem: Refusal) => {
    // Unknown sessions are routine (a client after a restart or an eviction), not a mistake.
    if (problem.status !== 404)
      logging.rejected(res, problem.status, 'mcp.rejected', problem.message);
    writeRefusal(res, problem);
  };

  async function open(req: AuthedRequest, res: Response, owner: string): Promise<void> {
    const problem = postHeaders(req);
    if (problem !== undefined) {
      refuse(res, problem);
      return;
    }
    const messages = messagesOf(req.body);
    if (!Array.isArray(messages)) {
      refuse(res, messages);
      return;
    }
    const init = initializeOf(messages);
    if (isRefusal(init)) {
      refuse(res, init);
      return;
    }
    // 122 random bits from the CSPRNG: session ids cannot be guessed.
    const transport = new SessionTransport(ids.mint(randomUUID()));
    await newServer('streamable').connect(transport);
    const answer = await transport.deliver(messages, req.auth, clientGone(res));
    const version = transport.protocolVersion;
    if (answer.kind !== 'json' || version === undefined) {
      // The handshake failed (or the client left): no session.
      await transport.close();
      writeAnswer(res, answer, transport.sessionId);
      return;
    }
    const time = now();
    await sessions.open(
      {
        id: transport.sessionId,
        owner,
        kind: 'streamable',
        protocolVersion: version,
        clientInfo: init.clientInfo,
        capabilities: init.capabilities,
        createdAt: time,
        lastUsedAt: time,
      },
      { kind: 'streamable', transport },
    );
    writeAnswer(res, answer, transport.sessionId);
  }

  async function post(req: AuthedRequest, res: Response, transport: SessionTransport) {
    const headers = postHeaders(req);
    if (headers !== undefined) {
      refuse(res, headers);
      return;
    }
    const messages = messagesOf(req.body);
    if (!Array.isArray(messages)) {
      refuse(res, messages);
      return;
    }
    if (hasInitialize(messages)) {
      refuse(res, ALREADY_INITIALIZED);
      return;
    }
    const version = versionHeader(req, transport.supportedVersions);
    if (version !== undefined) {
      refuse(res, version);
      return;
    }
    const reused = idInUse(messages, transport);
    if (reused !== undefined) {
      const message = `Invalid Request: request id ${JSON.stringify(reused)} is still in use`;
      refuse(res, { status: 400, code: -32600, message });
      return;
    }
    writeAnswer(
      res,
      await transport.deliver(messages, req.auth, clientGone(res)),
      transport.sessionId,
    );
  }

  function stream(
    req: AuthedRequest,
    res: Response,
    transport: SessionTransport,
    id: string,
    owner: string,
  ) {
    const problem = streamHeaders(req) ?? versionHeader(req, transport.supportedVersions);
    if (problem !== undefined) {
      refuse(res, problem);
      return;
    }
    if (!transport.openStream(res)) {
      refuse(res, STREAM_CONFLICT);
      return;
    }
    // A client listening on the stream is connected, not idle, however long it makes no request.
    res.once('close', sessions.hold(id, owner));
  }

  async function end(req: AuthedRequest, res: Response, transport: SessionTransport, id: string) {
    const problem = versionHeader(req, transport.supportedVersions);
    if (problem !== undefined) {
      refuse(res, problem);
      return;
    }
    await sessions.end(id);
    res.status(200).end();
  }

  return {
    open,
    /** A request for an existing session, by method. */
    async serve(req: AuthedRequest, res: Response, owner: string, id: string): Promise<void> {
      const session = await sessions.use(id, owner);
      if (session?.live?.kind !== 'streamable') {
        writeRefusal(res, { status: 404, code: -32001, message: 'Session not found' });
        return;
      }
      const { transport } = session.live;
      if (req.method === 'POST') return post(req, res, transport);
      if (req.method === 'GET') {
        stream(req, res, transport, id, owner);
        return;
      }
      if (req.method === 'DELETE') return end(req, res, transport, id);
      writeJson(res, 405, {
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Method not allowed.' },
        id: null,
      });
    },
  };
}
