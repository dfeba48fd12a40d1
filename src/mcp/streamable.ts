import { randomUUID } from 'node:crypto';
import {
  WebStandardStreamableHTTPServerTransport,
  classifyInboundRequest,
  createMcpHandler,
  type AuthInfo,
  type InboundHttpRequest,
} from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import type { Logger } from '../log.ts';
import { createDirectCalls } from './direct-call.ts';
import { createDirectStatelessCalls, type ServerIdentity } from './direct-stateless.ts';
import type { NewServer } from './server.ts';
import type { ToolCaller } from './tool-call.ts';
import { principalKey, principalOf } from './principal.ts';
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
  logger: Logger;
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
  logger,
  maxBodyBytes,
  direct: directOptions,
}: StreamableOptions) {
  const onerror = (error: Error) => {
    logger.warn({ err: error }, 'MCP request failed');
  };
  const direct =
    directOptions === undefined ? undefined : createDirectCalls(directOptions.caller, onerror);
  const stateless =
    directOptions === undefined
      ? undefined
      : createDirectStatelessCalls(directOptions.caller, directOptions.serverInfo, onerror);
  const modern = createMcpHandler(() => newServer(), {
    legacy: 'reject',
    onerror,
    maxRequestBodySize: maxBodyBytes,
  });

  /** Hands the request to a web-standard entry and writes its answer (see web-bridge.ts). */
  async function bridge(
    req: AuthedRequest,
    res: Response,
    handle: (request: globalThis.Request, options: EntryOptions) => Promise<globalThis.Response>,
  ): Promise<void> {
    const signal = clientGone(res);
    const options: EntryOptions = {};
    if (req.auth !== undefined) options.authInfo = req.auth;
    if (req.body !== undefined) options.parsedBody = req.body;
    let response: globalThis.Response;
    try {
      response = await handle(toWebRequest(req, signal), options);
    } catch (error) {
      onerror(error instanceof Error ? error : new Error(String(error)));
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
        if (direct !== undefined && req.method === 'POST') {
          if (direct.serve(req, res, entry)) return;
          direct.cancel(entry, req.body);
        }
        const { transport } = entry;
        return bridge(req, res, (request, options) => transport.handleRequest(request, options));
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
    rpcError(res, 400, -32000, 'Bad Request: no valid Mcp-Session-Id; send initialize first');
  };
}
