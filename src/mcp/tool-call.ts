import { randomUUID } from 'node:crypto';
import type { ScopePolicy } from '../auth/scopes.ts';
import type { Principal } from '../auth/verifier.ts';
import type { Drain } from '../drain.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { BackendIdentity } from '../proxy/types.ts';
import { AppError } from '../errors.ts';
import { refusalMessage, type RateLimiter, type RateRefusal } from '../limits/limiter.ts';
import { failedCall, MISSING_TOKEN, type ToolResult, type ToolRuntime } from '../tools/index.ts';
import { principalKey } from './principal.ts';

export interface ToolCallerDeps {
  tools: ToolRuntime;
  identityFor: (principal: Principal) => BackendIdentity | undefined;
  /** stdio has no HTTP edge: every call acts as this principal. */
  fallbackPrincipal?: Principal | undefined;
  logger: Logger;
  /** Counts the call in flight so a shutdown can wait for it (optional in tests). */
  drain?: Drain | undefined;
  /** Records the call's outcome and duration (optional in tests). */
  metrics?: Pick<Metrics, 'toolCall'> | undefined;
  /**
   * TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL: calls one principal may have running at once. Hanging
   * calls hold upstream sockets until their deadline; without a cap one caller could take the
   * whole pool and make everyone else's calls queue behind it. Unset: no cap.
   */
  maxInflightPerPrincipal?: number | undefined;
  /** TOOLBRIDGE_READ_SCOPE and _WRITE_SCOPE, by each tool's readOnlyHint (unset: no check). */
  scopes?: ScopePolicy | undefined;
  /** TOOLBRIDGE_RATE_LIMITS (limits/limiter.ts); undefined: no rate limits. */
  limiter?: RateLimiter | undefined;
}

/** How a call arrived: a 2025-era session, a legacy SSE session, a 2026-07-28 request, stdio. */
export type CallSessionKind = 'streamable' | 'sse' | 'stateless' | 'stdio';

/** Who calls and how the call arrived: the facts of the audit line beyond the call itself. */
export interface CallOrigin {
  /** The verified caller; undefined only without an HTTP edge (stdio uses its fallback). */
  readonly principal: Principal | undefined;
  readonly sessionKind: CallSessionKind;
  /**
   * The id of the HTTP request that carried the call (X-Request-ID), when it came over HTTP to
   * this replica. It becomes the call's correlation id: in the audit line and, as
   * X-Correlation-ID, in the API's logs. Without one, each call gets a fresh id.
   */
  readonly requestId?: string | undefined;
}

/**
 * One tools/call, whichever way it arrived: through the SDK's protocol handler (server.ts) or
 * the 2026-07-28 direct path (direct-stateless.ts). Both run exactly this, so identity, drain,
 * metrics and the per-call log line cannot differ between them.
 */
export interface ToolCaller {
  has(name: string): boolean;
  /** Runs a known tool; every failure is an `isError` result. */
  call(name: string, args: unknown, origin: CallOrigin, signal: AbortSignal): Promise<ToolResult>;
}

export function createToolCaller(deps: ToolCallerDeps): ToolCaller {
  const limit = deps.maxInflightPerPrincipal ?? Infinity;
  const { limiter } = deps;
  // Rate limits tell reads from writes by the tools' annotations; a tool without them counts as a
  // write, as MCP's defaults for absent hints assume the worst.
  const readOnly = new Set(
    deps.tools.definitions.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name),
  );
  const inflight = new Map<string, number>();
  const release = (key: string) => {
    const left = (inflight.get(key) ?? 1) - 1;
    if (left === 0) inflight.delete(key);
    else inflight.set(key, left);
  };

  const scopeRefusal = scopeCheck(deps);

  return {
    has: (name) => deps.tools.has(name),
    async call(name, args, origin, signal) {
      const principal = origin.principal ?? deps.fallbackPrincipal;
      if (principal === undefined) {
        // Only a caller that is not even anonymous (no HTTP edge, no stdio principal) lands here.
        return failedCall(name, new AppError('TOKEN_MISSING', MISSING_TOKEN));
      }
      const refused = scopeRefusal(name, principal);
      if (refused !== undefined) {
        audit(name, principal, origin.sessionKind, origin.requestId ?? randomUUID(), refused, 0);
        return refused;
      }
      const key = principalKey(principal);
      const running = inflight.get(key) ?? 0;
      const started = performance.now();
      const correlationId = origin.requestId ?? randomUUID();
      let result: ToolResult;
      if (running >= limit) {
        result = failedCall(
          name,
          new AppError(
            'INFLIGHT_LIMIT',
            `this caller already has ${limit} tool calls running (TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL); retry when one of them has finished`,
          ),
        );
      } else {
        // Held while the rate limiter answers too (a Redis round trip): it is this call's time.
        inflight.set(key, running + 1);
        try {
          const refusal =
            limiter === undefined ? undefined : await limiter.call(principal, !readOnly.has(name));
          result =
            refusal === undefined
              ? await run(name, args, principal, { signal, correlationId })
              : failedCall(name, rateLimited(refusal));
        } finally {
          release(key);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      audit(name, principal, origin.sessionKind, correlationId, result, seconds);
      return result;
    },
  };

  function run(
    name: string,
    args: unknown,
    principal: Principal,
    call: { signal: AbortSignal; correlationId: string },
  ) {
    // Without a token (TOOLBRIDGE_AUTH=none, no TOOLBRIDGE_JWT_TOKEN) there is no identity:
    // health_check still answers, and a data tool checks its arguments before it says so.
    const identity = deps.identityFor(principal);
    const context = { identity, tenantId: principal.tenantId, ...call };
    const go = () => deps.tools.call(name, args, context);
    return deps.drain === undefined ? go() : deps.drain.track(go);
  }

  /**
   * One metric sample and one audit line per call, both from the result's failure code. The
   * line names the caller (subject, tenant, the service key's id when one calls on the user's
   * behalf), how the call came (sessionKind) and its correlation id; never a token: the principal's
   * Authorization is not among its fields, and the logger scrubs every line besides.
   */
  function audit(
    name: string,
    principal: Principal,
    sessionKind: CallSessionKind,
    correlationId: string,
    result: ToolResult,
    seconds: number,
  ) {
    const failed = result.isError === true;
    const outcome = outcomeLabel(result);
    deps.metrics?.toolCall(name, outcome, seconds);
    // Built only when its level is on (this runs for every tool call).
    if (!deps.logger.isLevelEnabled(failed ? 'warn' : 'info')) return;
    const fields = {
      tool: name,
      outcome,
      tenant: principal.tenantId,
      subject: principal.subject,
      ...(principal.serviceKeyId === undefined ? {} : { serviceKeyId: principal.serviceKeyId }),
      sessionKind,
      correlationId,
      ms: Math.round(seconds * 10_000) / 10,
    };
    if (!failed) deps.logger.info(fields, 'tool call');
    else {
      const { code = 'error', status } = result.failure ?? {};
      const error = result.content[0]?.text;
      deps.logger.warn({ ...fields, code, status, error }, 'tool call failed');
    }
  }
}

function rateLimited(refusal: RateRefusal): AppError {
  return new AppError('RATE_LIMITED', refusalMessage(refusal), {
    details: { rule: refusal.rule.name, retryAfterMs: Math.ceil(refusal.retryAfterMs) },
  });
}

/**
 * The read/write scope check, before anything else of a call: a tool is read when its
 * readOnlyHint says so (tools/annotations.ts), so the two can never disagree. The refusal is an
 * `isError` result naming the scope; an MCP result has no place for a 403 and its challenge.
 */
function scopeCheck({ tools, scopes }: ToolCallerDeps) {
  const readOnly = new Map(
    tools.definitions.map((tool) => [tool.name, tool.annotations?.readOnlyHint === true]),
  );
  return (name: string, principal: Principal): ToolResult | undefined => {
    const isRead = readOnly.get(name);
    // An unknown name fails as unknown, whatever the token's scopes.
    if (isRead === undefined) return undefined;
    const missing = scopes?.missingForTool(principal, isRead);
    if (missing === undefined) return undefined;
    return failedCall(
      name,
      new AppError(
        'SCOPE_INSUFFICIENT',
        `this tool needs the '${missing}' scope, which the token does not grant`,
      ),
    );
  };
}

/**
 * The `outcome` label of toolbridge_tool_calls_total: `ok`, or the failure's code in lower case,
 * with the API's HTTP errors by status class (`upstream_4xx`, `upstream_5xx`), so that an alert
 * on timeouts or an unreachable API is not drowned by users' own 404s.
 */
export function outcomeLabel({ isError, failure }: ToolResult): string {
  if (isError !== true) return 'ok';
  if (failure === undefined) return 'error';
  if (failure.code === 'UPSTREAM_HTTP_ERROR' && failure.status !== undefined) {
    return `upstream_${Math.floor(failure.status / 100)}xx`;
  }
  return failure.code.toLowerCase();
}
