import { randomUUID } from 'node:crypto';
// The low-level Server (marked "advanced use" in the SDK) on purpose: one tool table built at start
// serves every per-request instance, where McpServer would re-register 41 tools per request.
import { ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';

/** Builds one protocol instance: per request (2026-07-28 era) or per session (2025 era). */
// eslint-disable-next-line @typescript-eslint/no-deprecated
export type NewServer = () => Server;

import type { Principal } from '../auth/verifier.ts';
import type { Drain } from '../drain.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { BackendIdentity } from '../proxy/types.ts';
import type { ToolRuntime } from '../tools/index.ts';
import { principalOf } from './principal.ts';

export interface ServerDeps {
  tools: ToolRuntime;
  identityFor: (principal: Principal) => BackendIdentity | undefined;
  /** stdio has no HTTP edge: every call acts as this principal. */
  fallbackPrincipal?: Principal | undefined;
  logger: Logger;
  version: string;
  /** Counts the call in flight so a shutdown can wait for it (optional in tests). */
  drain?: Drain | undefined;
  /** Records the call's outcome and duration (optional in tests). */
  metrics?: Pick<Metrics, 'toolCall'> | undefined;
}

/**
 * Builds MCP protocol instances over one shared tool table. The 2026-07-28 entry needs a fresh
 * instance per request and the 2025 era one per session; each instance is a low-level Server with
 * two handlers closing over data built once here, so no tool table is built per request.
 */
export function createServerFactory(deps: ServerDeps): NewServer {
  const listResult = {
    tools: deps.tools.definitions.map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: { ...tool.inputSchema, type: 'object' as const },
      outputSchema: { ...tool.outputSchema, type: 'object' as const },
    })),
  };

  return () => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const server = new Server(
      { name: 'ToolBridge', version: deps.version },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler('tools/list', () => listResult);
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const { name, arguments: args } = request.params;
      if (!deps.tools.has(name)) {
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
      }
      const principal = principalOf(ctx.http?.authInfo) ?? deps.fallbackPrincipal;
      const identity = principal === undefined ? undefined : deps.identityFor(principal);
      if (principal === undefined || identity === undefined) {
        // The Python proxy's words for the same situation (CONTRACT.md A.6).
        const text = `Error calling tool '${name}': Missing Authorization header. MCP client must provide JWT token or configure TOOLBRIDGE_JWT_TOKEN.`;
        return { isError: true, content: [{ type: 'text' as const, text }] };
      }
      const correlationId = randomUUID();
      const started = performance.now();
      const run = () =>
        deps.tools.call(name, args, { identity, signal: ctx.mcpReq.signal, correlationId });
      const result = await (deps.drain === undefined ? run() : deps.drain.track(run));
      const seconds = (performance.now() - started) / 1000;
      deps.metrics?.toolCall(name, result.isError === true ? 'error' : 'ok', seconds);
      // One line per call, built only when its level is on (this runs for every tool call).
      const failed = result.isError === true;
      if (deps.logger.isLevelEnabled(failed ? 'warn' : 'info')) {
        const fields = {
          tool: name,
          tenant: principal.tenantId,
          subject: principal.subject,
          correlationId,
          ms: Math.round(seconds * 10_000) / 10,
        };
        if (failed)
          deps.logger.warn({ ...fields, error: result.content[0]?.text }, 'tool call failed');
        else deps.logger.info(fields, 'tool call');
      }
      return { ...result };
    });
    return server;
  };
}
