import type { ErrorCode } from '../errors.ts';
import type { BackendIdentity } from '../proxy/types.ts';

/**
 * The MCP tool annotations: hints a client may use to decide what needs the user's consent or
 * what is safe to retry. All five are always given, since MCP's defaults for absent hints assume
 * the worst (destructive, not idempotent, open world).
 */
export interface ToolAnnotations {
  readonly title: string;
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

/** What tools/list shows for one tool. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema, type `object`. */
  readonly inputSchema: Readonly<Record<string, unknown>>;
  readonly outputSchema: Readonly<Record<string, unknown>>;
  /** Optional as in MCP (test doubles leave it out); every tool of the catalog has it. */
  readonly annotations?: ToolAnnotations;
}

/**
 * Why a call failed: the code of the error its `isError` text was rendered from, and the API's
 * HTTP status when it answered one. For the log line and the metric; never sent to the client.
 */
export interface ToolFailure {
  /** `INTERNAL` is a bug: an exception that was not an AppError. */
  readonly code: ErrorCode | 'INTERNAL';
  readonly status?: number | undefined;
}

/** Mirrors the MCP `CallToolResult`, plus `failure` on an `isError` result (stripped on the wire). */
export interface ToolResult {
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  failure?: ToolFailure;
}

export interface ToolCallContext {
  /** Who the API sees; undefined when the caller brought no token and none is configured. */
  readonly identity: BackendIdentity | undefined;
  /** The caller's tenant (health_check reports it; no API call needs more than `identity`). */
  readonly tenantId: string;
  readonly signal?: AbortSignal;
  readonly correlationId?: string;
}
