import type { BackendIdentity } from '../proxy/types.ts';

/** What tools/list shows for one tool. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema, type `object`. */
  readonly inputSchema: Readonly<Record<string, unknown>>;
  readonly outputSchema: Readonly<Record<string, unknown>>;
}

/** Mirrors the MCP `CallToolResult`. */
export interface ToolResult {
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface ToolCallContext {
  /** Who the API sees; undefined when the caller brought no token and none is configured. */
  readonly identity: BackendIdentity | undefined;
  /** The caller's tenant (health_check reports it; no API call needs more than `identity`). */
  readonly tenantId: string;
  readonly signal?: AbortSignal;
  readonly correlationId?: string;
}
