import { AppError } from '../errors.ts';
import type { CallOptions, Upstream } from '../proxy/types.ts';
import { HEALTH_ANNOTATIONS, annotationsFor } from './annotations.ts';
import type { Args } from './args.ts';
import { DESCRIPTIONS, HEALTH_DESCRIPTION } from './descriptions.ts';
import { ENTITIES } from './entities.ts';
import type { EntitySpec } from './entity-spec.ts';
import { OPERATIONS, type Operation } from './operations.ts';
import { inputSchema, type ParamSpec } from './params.ts';
import { outputSchema, shapeResult } from './results.ts';
import type { ToolCallContext, ToolDefinition } from './types.ts';

/** A tool as the runtime holds it: what it advertises, what it accepts, what it does. */
export interface Tool {
  readonly definition: ToolDefinition;
  readonly params: readonly ParamSpec[];
  readonly run: (args: Args, context: ToolCallContext) => Promise<Record<string, unknown>>;
}

export interface CatalogDeps {
  readonly upstream: Upstream;
  readonly goApiBaseUrl: string;
}

const callOptions = (context: ToolCallContext): CallOptions => ({
  ...(context.signal === undefined ? {} : { signal: context.signal }),
  ...(context.correlationId === undefined ? {} : { correlationId: context.correlationId }),
});

/** A body rule naming a parameter the tool does not have is a table bug: fail at start-up. */
function checkBodyRules(entity: EntitySpec, operation: Operation, params: readonly ParamSpec[]) {
  const names = new Set(params.map((param) => param.name));
  for (const rule of operation.bodyRules?.(entity) ?? []) {
    if (!names.has(rule.from)) {
      throw new Error(
        `tool table bug: ${operation.toolName(entity)} has no parameter ${rule.from}`,
      );
    }
  }
}

/** The Python service's words when no token was available (CONTRACT.md A.6). */
export const MISSING_TOKEN =
  'Missing Authorization header. MCP client must provide JWT token or configure TOOLBRIDGE_JWT_TOKEN.';

function dataTool(entity: EntitySpec, operation: Operation, deps: CatalogDeps): Tool {
  const name = operation.toolName(entity);
  const params = operation.params(entity);
  checkBodyRules(entity, operation, params);
  return {
    definition: {
      name,
      description: DESCRIPTIONS[operation.verb](entity),
      inputSchema: inputSchema(params),
      outputSchema: outputSchema(operation.returns, entity.model),
      annotations: annotationsFor(operation.verb, entity),
    },
    params,
    run: async (args, context) => {
      // After argument validation, as in Python, where the token was read inside the tool.
      if (context.identity === undefined) throw new AppError('TOKEN_MISSING', MISSING_TOKEN);
      const request = operation.request(entity, args);
      const response = await deps.upstream.call(request, context.identity, callOptions(context));
      return shapeResult(operation.returns, response.body);
    },
  };
}

/** Answers locally, as the Python `health_check` did (CONTRACT.md A.2, last paragraph). */
function healthTool(deps: CatalogDeps): Tool {
  return {
    definition: {
      name: 'health_check',
      description: HEALTH_DESCRIPTION,
      inputSchema: inputSchema([]),
      outputSchema: { type: 'object', additionalProperties: true },
      annotations: HEALTH_ANNOTATIONS,
    },
    params: [],
    run: (_args, context) =>
      Promise.resolve({
        status: 'healthy',
        tenant_id: context.tenantId,
        go_api_base_url: deps.goApiBaseUrl,
      }),
  };
}

/** All 41 tools, in the Python registration order: entity by entity, then health_check. */
export function buildCatalog(deps: CatalogDeps): readonly Tool[] {
  const tools = ENTITIES.flatMap((entity) =>
    OPERATIONS.map((operation) => dataTool(entity, operation, deps)),
  );
  return [...tools, healthTool(deps)];
}
