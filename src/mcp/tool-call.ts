import { randomUUID } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/verifier.ts';
import type { Drain } from '../drain.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { BackendIdentity } from '../proxy/types.ts';
import { MISSING_TOKEN, type ToolResult, type ToolRuntime } from '../tools/index.ts';
import { principalOf } from './principal.ts';

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
}

/**
 * One tools/call, whichever way it arrived: through the SDK's protocol handler (server.ts) or
 * the direct session path (direct-call.ts). Both run exactly this, so identity, drain, metrics
 * and the per-call log line cannot differ between them.
 */
export interface ToolCaller {
  has(name: string): boolean;
  /** Runs a known tool; every failure is an `isError` result. */
  call(
    name: string,
    args: unknown,
    authInfo: AuthInfo | undefined,
    signal: AbortSignal,
  ): Promise<ToolResult>;
}

export function createToolCaller(deps: ToolCallerDeps): ToolCaller {
  return {
    has: (name) => deps.tools.has(name),
    async call(name, args, authInfo, signal) {
      const principal = principalOf(authInfo) ?? deps.fallbackPrincipal;
      if (principal === undefined) {
        // Only a caller that is not even anonymous (no HTTP edge, no stdio principal) lands here.
        const text = `Error calling tool '${name}': ${MISSING_TOKEN}`;
        return { content: [{ type: 'text', text }], isError: true };
      }
      // Without a token (TOOLBRIDGE_AUTH=none, no TOOLBRIDGE_JWT_TOKEN) there is no identity:
      // health_check still answers, and a data tool checks its arguments before it says so.
      const identity = deps.identityFor(principal);
      const correlationId = randomUUID();
      const started = performance.now();
      const context = { identity, tenantId: principal.tenantId, signal, correlationId };
      const run = () => deps.tools.call(name, args, context);
      const result = await (deps.drain === undefined ? run() : deps.drain.track(run));
      const seconds = (performance.now() - started) / 1000;
      const failed = result.isError === true;
      deps.metrics?.toolCall(name, failed ? 'error' : 'ok', seconds);
      // One line per call, built only when its level is on (this runs for every tool call).
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
      return result;
    },
  };
}
