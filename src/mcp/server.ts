// The low-level Server (marked "advanced use" in the SDK) on purpose: one tool table built at start
// serves every per-request instance, where McpServer would re-register 41 tools per request.
import { ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import { wireResult } from './plain-call.ts';
import { createPrincipalCarrier, type PrincipalCarrier } from './principal.ts';
import {
  createToolCaller,
  type CallSessionKind,
  type ToolCaller,
  type ToolCallerDeps,
} from './tool-call.ts';

/**
 * Builds one protocol instance: per request (2026-07-28 era) or per session (2025 era, legacy
 * SSE, stdio); `session` says which, for the audit line of each tool call it serves.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated
export type NewServer = (session: CallSessionKind) => Server;

/** The name every protocol instance gives in its server info. */
export const SERVER_NAME = 'ToolBridge';

export interface ServerDeps extends ToolCallerDeps {
  version: string;
  /** Maps the AuthInfo handlers get back to the principal the HTTP edge verified. */
  principals?: PrincipalCarrier | undefined;
}

/**
 * Builds MCP protocol instances over one shared tool table. The 2026-07-28 entry needs a fresh
 * instance per request and the 2025 era one per session; each instance is a low-level Server with
 * two handlers closing over data built once here, so no tool table is built per request.
 */
export function createServerFactory(
  deps: ServerDeps,
  caller: ToolCaller = createToolCaller(deps),
): NewServer {
  const principals = deps.principals ?? createPrincipalCarrier();
  const listResult = {
    tools: deps.tools.definitions.map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: { ...tool.inputSchema, type: 'object' as const },
      outputSchema: { ...tool.outputSchema, type: 'object' as const },
      ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
    })),
  };

  return (session) => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const server = new Server(
      { name: SERVER_NAME, version: deps.version },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler('tools/list', () => listResult);
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const { name, arguments: args } = request.params;
      if (!caller.has(name)) {
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
      }
      const authInfo = ctx.http?.authInfo;
      const origin = {
        principal: principals.of(authInfo),
        sessionKind: session,
        requestId: principals.requestIdOf(authInfo),
      };
      const result = await caller.call(name, args, origin, ctx.mcpReq.signal);
      return { ...wireResult(result) };
    });
    return server;
  };
}
