import { randomUUID } from 'node:crypto';
import {
  WebStandardStreamableHTTPServerTransport,
  classifyInboundRequest,
  createMcpHandler,
  type AuthInfo,
  type InboundHttpRequest,
  type JSONRPCErrorResponse,
} from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import { createDirectCalls, transportWouldAccept } from './direct-call.ts';
import { createEntryReports, type RequestLogging } from './entry-reports.ts';
import { createDirectStatelessCalls, type ServerIdentity } from './direct-stateless.ts';
import type { NewServer } from './server.ts';
import type { ToolCaller } from './tool-call.ts';
import { principalKey, principalOf } from './principal.ts';
import {
  cancelledIds,
  createPendingRequests,
  requestIds,
  withoutCancelled,
  type EarlyEnd,
} from './sdk-pending.ts';
import type { RequestId } from './plain-call.ts';
import type { SessionRegistry } from './sessions.ts';
import { clientGone, sendWebResponse, toWebRequest } from './web-bridge.ts';

/**
 * Streamable HTTP at /mcp for both protocol eras. 2026-07-28 requests (the per-request envelope)
 * go to the SDK's stateless entry; 2025-era traffic keeps its sessions: `initialize` opens one,
 * `Mcp-Session-Id` routes to it, GET streams, DELETE ends it. The SDK's own classifier makes the
 * split, so this routing can never disagree with the entry. With `direct` options, a plain
 * tools/call of either era is answered by direct-call.ts / direct-stateless.ts instead.
 */

export interface StreamableOptions {
  newServer: NewServer;
  sessions: SessionRegistry;
  logging: RequestLogging<Response>;
  maxBodyBytes: number;
  /** Given, plain tools/calls of both eras take the direct paths (direct-call.ts). */
  direct?: DirectOptions | undefined;
}

/** What the direct paths need: the tool caller the SDK's handler uses, and the server's name. */
export interface DirectOptions {
  caller: ToolCaller;
  serverInfo: ServerIdentity;
}

type AuthedRequest = Request & { auth?: AuthInfo };
/** What the SDK's web-standard entries take beside the Request. */
interface EntryOptions {
  authInfo?: AuthInfo;
  parsedBody?: unknown;
}

const NONE_CANCELLED: ReadonlySet<RequestId> = new Set();

/** Stands in for a cancelled request's result inside the transport; never sent to the client. */
const standIn = (id: RequestId): JSONRPCErrorResponse => ({
  jsonrpc: '2.0',
  id,
  error: { code: -32800, message: 'Request cancelled' },
});

const rpcError = (res: Response, status: number, code: number, message: string) => {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
};

/** What the SDK's classifier reads; absent headers are left out (exactOptionalPropertyTypes). */
function inbound(req: Request): InboundHttpRequest {
  const body: unknown = req.body;
  const request: InboundHttpRequest = { httpMethod: req.method, body };
  const version = req.get('mcp-protocol-version');
  const method = req.get('mcp-method');
  const name = req.get('mcp-name');
  if (version !== undefined) request.protocolVersionHeader = version;
  if (method !== undefined) request.mcpMethodHeader = method;
  if (name !== undefined) request.mcpNameHeader = name;
  return request;
}

export function createStreamableHandler({
  newServer,
  sessions,
  logging,
  maxBodyBytes,
  direct: directOptions,
}: StreamableOptions) {
  // One `onerror` for the SDK's 2026-07-28 entry (each report judged by its request's answer)
  // and the direct paths (which report only bugs: a ToolCaller that threw).
  const reports = createEntryReports(logging);
  const { onerror } = reports;
  const direct =
    directOptions === undefined ? undefined : createDirectCalls(directOptions.caller, onerror);
  const stateless =
    directOptions === undefined
      ? undefined
      : createDirectStatelessCalls(directOptions.caller, directOptions.serverInfo, onerror);
  const pending = createPendingRequests();
  const modern = createMcpHandler(() => newServer(), {
    legacy: 'reject',
    onerror,
    maxRequestBodySize: maxBodyBytes,
  });

  /**
   * Hands the request to a web-standard entry and writes its answer (see web-bridge.ts), or ends
   * it first if `early` resolves before the entry answers (sdk-pending.ts).
   */
  async function bridge(
    req: AuthedRequest,
    res: Response,
    handle: (request: globalThis.Request, options: EntryOptions) => Promise<globalThis.Response>,
    early?: Promise<EarlyEnd>,
    cancelled: ReadonlySet<RequestId> = NONE_CANCELLED,
  ): Promise<void> {
    const signal = clientGone(res);
    const options: EntryOptions = {};
    if (req.auth !== undefined) options.authInfo = req.auth;
    if (req.body !== undefined) options.parsedBody = req.body;
    const exchange = reports.begin(res);
    let response: globalThis.Response;
    try {
      const answer = exchange.run(() => handle(toWebRequest(req, signal), options));
      const first = early === undefined ? await answer : await Promise.race([answer, early]);
      if (typeof first === 'string') {
        // The entry may still settle later, into nothing.
        answer.catch(() => undefined);
        if (res.headersSent) return;
        if (first === 'cancelled') res.status(202).end();
        else rpcError(res, 404, -32001, 'Session not found');
        return;
      }
      response = await exchange.settle(await withoutCancelled(first, cancelled));
    } catch (error) {
      logging.loggerFor(res).error({ err: error }, 'MCP request failed');
      rpcError(res, 500, -32603, 'Internal server error');
      return;
    }
    await sendWebResponse(res, response, signal);
  }

  async function openSession(req: AuthedRequest, res: Response, owner: string): Promise<void> {
    const transport = new WebStandardStreamableHTTPServerTransport({
      // 122 random bits from the CSPRNG: session ids cannot be guessed.
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      maxRequestBodySize: maxBodyBytes,
      onsessioninitialized: (id) => {
        sessions.add({ id, owner, kind: 'streamable', transport });
      },
      onsessionclosed: (id) => {
        sessions.forget(id);
      },
    });
    transport.onclose = () => {
      pending.endSession(transport);
      if (transport.sessionId === undefined) return;
      sessions.forget(transport.sessionId);
      direct?.endSession({ id: transport.sessionId, transport });
    };
    await newServer().connect(transport);
    await bridge(req, res, (request, options) => transport.handleRequest(request, options));
  }

  return async (req: AuthedRequest, res: Response): Promise<void> => {
    const principal = principalOf(req.auth);
    const owner = principal === undefined ? 'anonymous' : principalKey(principal);
    const sessionId = req.get('mcp-session-id');
    if (sessionId !== undefined && sessionId !== '') {
      const entry = sessions.use(sessionId, owner);
      if (entry?.kind === 'streamable') {
        if (req.method === 'POST' && direct?.serve(req, res, entry) === true) return;
        const { transport } = entry;
        const handle = (request: globalThis.Request, options: EntryOptions) =>
          transport.handleRequest(request, options);
        if (req.method === 'GET') {
          const release = sessions.streaming(sessionId);
          try {
            await bridge(req, res, handle);
          } finally {
            release();
          }
          return;
        }
        if (req.method !== 'POST') return bridge(req, res, handle);
        // Only from a POST the session transport will accept (headers, JSON-RPC 2.0): one it
        // refuses with 406/415/400 must not cancel anything.
        const cancelled = transportWouldAccept(req) ? cancelledIds(req.body) : [];
        if (cancelled.length > 0) {
          direct?.cancel(entry, cancelled);
          // A request cancelled out of a batch gets a stand-in answer, so the transport answers
          // the rest of the batch instead of waiting for ever; the bridge leaves it out.
          pending.cancel(transport, cancelled, (id) => {
            transport.send(standIn(id)).catch(() => undefined);
          });
        }
        const ids = requestIds(req.body);
        if (ids.length === 0) return bridge(req, res, handle);
        const waiting = pending.wait(transport, ids);
        try {
          await bridge(req, res, handle, waiting.early, waiting.cancelled);
        } finally {
          waiting.done();
        }
        return;
      }
      rpcError(res, 404, -32001, 'Session not found');
      return;
    }
    // A plain 2026-07-28 call whose envelope the classifier accepted before (direct-stateless.ts).
    const plain = stateless?.match(req);
    if (plain !== undefined && stateless?.serveKnown(plain, req, res) === true) return;
    // The SDK's own body-primary classifier, on the parsed body: no web Request built to route.
    const route = classifyInboundRequest(inbound(req));
    // Modern traffic and the entry's own rejections both belong to the modern leg.
    if (route.kind !== 'legacy') {
      if (plain !== undefined && stateless?.serve(plain, req, res, route) === true) return;
      return bridge(req, res, (request, options) => modern.fetch(request, options));
    }
    if (route.reason === 'initialize') return openSession(req, res, owner);
    const message = 'Bad Request: no valid Mcp-Session-Id; send initialize first';
    logging.rejected(res, 400, 'mcp.rejected', message);
    rpcError(res, 400, -32000, message);
  };
}
