import { AppError } from '../errors.ts';
import type { Upstream } from '../proxy/types.ts';
import { readArgs } from './args.ts';
import { buildCatalog, type Tool } from './catalog.ts';
import { validateArguments } from './coerce.ts';
import type { ToolCallContext, ToolDefinition, ToolFailure, ToolResult } from './types.ts';

export type { ToolCallContext, ToolDefinition, ToolFailure, ToolResult } from './types.ts';
export { MISSING_TOKEN } from './catalog.ts';

export interface ToolRuntime {
  /** All 41 tools, in the Python tools/list order, built once at creation. */
  readonly definitions: readonly ToolDefinition[];
  has(name: string): boolean;
  /**
   * Validates the arguments and runs the tool. Every failure of a known tool is an `isError`
   * result (CONTRACT.md A.6); only an unknown name throws (INVALID_ARGUMENTS).
   */
  call(name: string, args: unknown, context: ToolCallContext): Promise<ToolResult>;
}

/** An `isError` result, its text and its failure code rendered from one error. */
export const errorResult = (text: string, failure: ToolFailure): ToolResult => ({
  content: [{ type: 'text', text }],
  isError: true,
  failure,
});

/** structuredContent, and the same object as compact JSON text (A.2 step 9). */
const successResult = (structured: Record<string, unknown>): ToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(structured) }],
  structuredContent: structured,
  isError: false,
});

/**
 * FastMCP's wrapping (A.6), except that only AppError messages are shown: they are written to be
 * safe (the proxy's carry the HTTP status, the API's `error` text and its correlation id). Any
 * other exception may carry anything, a secret included, so its message is never exposed.
 */
export function failedCall(name: string, error: unknown): ToolResult {
  if (!(error instanceof AppError)) {
    return errorResult(`Error calling tool '${name}': internal error`, { code: 'INTERNAL' });
  }
  const { status } = error.details;
  return errorResult(`Error calling tool '${name}': ${error.message}`, {
    code: error.code,
    ...(typeof status === 'number' ? { status } : {}),
  });
}

export interface ToolRuntimeDeps {
  upstream: Upstream;
  goApiBaseUrl: string;
  /** Told about failures that are not AppErrors (bugs): the client sees only "internal error". */
  onInternalError?: (error: unknown, tool: string) => void;
}

async function run(
  tool: Tool,
  args: unknown,
  context: ToolCallContext,
  onInternalError: ToolRuntimeDeps['onInternalError'],
): Promise<ToolResult> {
  const { name } = tool.definition;
  // Validation failures were pydantic's own text in Python, not wrapped in "Error calling tool".
  const validation = validateArguments(name, tool.params, args);
  if (!validation.ok) return errorResult(validation.message, { code: 'INVALID_ARGUMENTS' });
  try {
    return successResult(await tool.run(readArgs(validation.values), context));
  } catch (error) {
    if (!(error instanceof AppError)) onInternalError?.(error, name);
    return failedCall(name, error);
  }
}

export function createToolRuntime(deps: ToolRuntimeDeps): ToolRuntime {
  const catalog = buildCatalog(deps);
  const tools = new Map(catalog.map((tool) => [tool.definition.name, tool]));
  return {
    definitions: catalog.map((tool) => tool.definition),
    has: (name) => tools.has(name),
    call: async (name, args, context) => {
      const tool = tools.get(name);
      if (tool === undefined) throw new AppError('INVALID_ARGUMENTS', `Unknown tool: ${name}`);
      return run(tool, args, context, deps.onInternalError);
    },
  };
}
