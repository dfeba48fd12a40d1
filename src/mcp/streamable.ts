import {
  classifyInboundRequest,
  createMcpHandler,
  type AuthInfo,
  type InboundHttpRequest,
} from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import { createEntryReports, type RequestLogging } from './entry-reports.ts';
import type { SessionIds } from './fly-replay.ts';
import { createDirectStatelessCalls, type ServerIdentity } from './direct-stateless.ts';
import type { NewServer } from './server.ts';
import type { ToolCaller } from './tool-call.ts';
import { ownerKey, type AuthedRequest, type PrincipalCarrier } from './principal.ts';
import { createSessionRoutes } from './session-routes.ts';
import type { SessionRegistry } from './sessions.ts';
import { clientGone, sendWebResponse, toWebRequest } from './web-bridge.ts';

/**
 * Streamable HTTP at /mcp for both protocol eras. 2026-07-28 requests (the per-request envelope)
 * go to the SDK's stateless entry; 2025-era traffic keeps its sessions (session-routes.ts):
 * `initialize` opens one, `Mcp-Session-Id` routes to it. The SDK's own classifier makes the
 * split, so this routing can never disagree with the entry. With `direct` options, a plain
 * 2026-07-28 tools/call is answered by direct-stateless.ts instead of a per-request instance.
 */

export interface StreamableOptions {
  newServer: NewServer;
  sessions: SessionRegistry;
  logging: RequestLogging<Response>;
  maxBodyBytes: number;
  /** Given, plain 2026-07-28 tools/calls take the direct path (direct-stateless.ts). */
  direct?: DirectOptions | undefined;
  /** The clock session records are stamped with. */
  now?: (() => number) | undefined;
  /** How 2025-era session ids are minted (fly-replay.ts; default: a bare UUID). */
  ids?: SessionIds | undefined;
}

/**
 * What the direct path needs: the tool caller the SDK's handler uses, the server's name, and the
 * carrier the HTTP edge tied each request's id to.
 */
export interface DirectOptions {
  caller: ToolCaller;
  serverInfo: ServerIdentity;
  principals: Pick<PrincipalCarrier, 'requestIdOf'>;
}

/** What the SDK's web-standard entries take beside the Request. */
interface EntryOptions {
  authInfo?: AuthInfo;
  parsedBody?: unknown;
}

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
  now,
  ids,
}: StreamableOptions) {
  // One `onerror` for the SDK's 2026-07-28 entry (each report judged by its request's answer)
  // and the direct path (which reports only bugs: a ToolCaller that threw).
  const reports = createEntryReports(logging);
  const { onerror } = reports;
  const stateless =
    directOptions === undefined
      ? undefined
      : createDirectStatelessCalls(
          directOptions.caller,
          directOptions.serverInfo,
          onerror,
          directOptions.principals,
        );
  const modern = createMcpHandler(() => newServer('stateless'), {
    legacy: 'reject',
    onerror,
    maxRequestBodySize: maxBodyBytes,
  });
  const sessionRoutes = createSessionRoutes(newServer, sessions, logging, now, ids);

  /** Hands the request to the SDK's 2026-07-28 entry and writes its answer (web-bridge.ts). */
  async function bridge(req: AuthedRequest, res: Response): Promise<void> {
    const signal = clientGone(res);
    const options: EntryOptions = {};
    if (req.auth !== undefined) options.authInfo = req.auth;
    if (req.body !== undefined) options.parsedBody = req.body;
    const exchange = reports.begin(res);
    let response: globalThis.Response;
    try {
      const answer = await exchange.run(() => modern.fetch(toWebRequest(req, signal), options));
      response = await exchange.settle(answer);
    } catch (error) {
      logging.loggerFor(res).error({ err: error }, 'MCP request failed');
      rpcError(res, 500, -32603, 'Internal server error');
      return;
    }
    await sendWebResponse(res, response, signal);
  }

  return async (req: AuthedRequest, res: Response): Promise<void> => {
    const owner = ownerKey(req.principal);
    const sessionId = req.get('mcp-session-id');
    if (sessionId !== undefined && sessionId !== '') {
      return sessionRoutes.serve(req, res, owner, sessionId);
    }
    // A plain 2026-07-28 call whose envelope the classifier accepted before (direct-stateless.ts).
    const plain = stateless?.match(req);
    if (plain !== undefined && stateless?.serveKnown(plain, req, res) === true) return;
    // The SDK's own body-primary classifier, on the parsed body: no web Request built to route.
    const route = classifyInboundRequest(inbound(req));
    // Modern traffic and the entry's own rejections both belong to the modern leg.
    if (route.kind !== 'legacy') {
      if (plain !== undefined && stateless?.serve(plain, req, res, route) === true) return;
      return bridge(req, res);
    }
    if (route.reason === 'initialize') return sessionRoutes.open(req, res, owner);
    const message = 'Bad Request: no valid Mcp-Session-Id; send initialize first';
    logging.rejected(res, 400, 'mcp.rejected', message);
    rpcError(res, 400, -32000, message);
  };
}
