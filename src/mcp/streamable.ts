import { randomUUID } from 'node:crypto';
import {
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
  toWebRequest,
} from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, type AuthInfo } from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import type { Logger } from '../log.ts';
import type { NewServer } from './server.ts';
import { principalKey, principalOf } from './principal.ts';
import type { SessionRegistry } from './sessions.ts';

/**
 * Streamable HTTP at /mcp for both protocol eras. 2026-07-28 requests (the per-request envelope)
 * go to the SDK's stateless entry; 2025-era traffic keeps its sessions: `initialize` opens one,
 * `Mcp-Session-Id` routes to it, GET streams, DELETE ends it. The SDK's own predicate makes the
 * split, so this routing can never disagree with the entry.
 */

export interface StreamableOptions {
  newServer: NewServer;
  sessions: SessionRegistry;
  logger: Logger;
  maxBodyBytes: number;
}

type AuthedRequest = Request & { auth?: AuthInfo };

const rpcError = (res: Response, status: number, code: number, message: string) => {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
};

const isInitialize = (body: unknown) =>
  typeof body === 'object' && body !== null && 'method' in body && body.method === 'initialize';

export function createStreamableHandler({
  newServer,
  sessions,
  logger,
  maxBodyBytes,
}: StreamableOptions) {
  const onerror = (error: Error) => {
    logger.warn({ err: error }, 'MCP request failed');
  };
  const modern = createMcpHandler(() => newServer(), {
    legacy: 'reject',
    onerror,
    maxRequestBodySize: maxBodyBytes,
  });
  const serveModern = toNodeHandler(modern, { onerror, maxRequestBodySize: maxBodyBytes });

  async function openSession(req: AuthedRequest, res: Response, owner: string): Promise<void> {
    const transport = new NodeStreamableHTTPServerTransport({
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
      if (transport.sessionId !== undefined) sessions.forget(transport.sessionId);
    };
    await newServer().connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  return async (req: AuthedRequest, res: Response): Promise<void> => {
    const principal = principalOf(req.auth);
    const owner = principal === undefined ? 'anonymous' : principalKey(principal);
    const sessionId = req.get('mcp-session-id');
    if (sessionId !== undefined && sessionId !== '') {
      const entry = sessions.use(sessionId, owner);
      if (entry?.kind === 'streamable') return entry.transport.handleRequest(req, res, req.body);
      rpcError(res, 404, -32001, 'Session not found');
      return;
    }
    const legacy =
      req.method !== 'POST' || (await isLegacyRequest(await toWebRequest(req, req.body), req.body));
    if (!legacy) return serveModern(req, res, req.body);
    if (req.method === 'POST' && isInitialize(req.body)) return openSession(req, res, owner);
    rpcError(res, 400, -32000, 'Bad Request: no valid Mcp-Session-Id; send initialize first');
  };
}
