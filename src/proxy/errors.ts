import { STATUS_CODES } from 'node:http';
import { AppError, type ErrorCode, type ErrorDetails } from '../errors.ts';
import type { DeadlineOutcome } from './deadline.ts';
import { ResponseTooLarge } from './exchange.ts';
import { backendFacts, clip, headerValue, type RawReply } from './reply.ts';

/**
 * Upstream failures as AppErrors. Messages reach MCP clients, so they say what happened in one
 * line (status, the backend's own error text, correlation id) and carry no credential; the facts
 * go into `details` for mapping and logs.
 */

export interface FailureContext {
  readonly method: string;
  /** The request path below the base URL, without the query string. */
  readonly path: string;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Values that must never appear in a message (credential, tenant secret, API address). */
  readonly secrets: readonly string[];
}

const SESSION_PREFIX = 'Could not open a ToolBridge sync session: ';
const TOKEN_PREFIX =
  'Could not get a backend token from the ToolBridge API (POST /auth/token-exchange): ';

function scrub(text: string, secrets: readonly string[]): string {
  let clean = text;
  // Short strings would match innocently (and are no secret worth hiding).
  for (const secret of secrets)
    if (secret.length >= 8) clean = clean.split(secret).join('[redacted]');
  return clean;
}

function fail(
  ctx: FailureContext,
  code: ErrorCode,
  message: string,
  details: ErrorDetails,
  cause?: unknown,
): AppError {
  const safe = Object.fromEntries(
    Object.entries(details).map(([key, value]) => [
      key,
      typeof value === 'string' ? scrub(value, ctx.secrets) : value,
    ]),
  );
  return new AppError(code, scrub(message, ctx.secrets), {
    details: safe,
    ...(cause === undefined ? {} : { cause }),
  });
}

const statusLine = (status: number): string => `${status} ${STATUS_CODES[status] ?? ''}`.trim();

/** `ToolBridge API answered 404 Not Found[ for GET /v1/…]: note not found (correlation_id …)` */
function answered(reply: RawReply, ctx: FailureContext, showRequest: boolean): AppError {
  // Redacted before anything is clipped, so a secret cut short by the clip cannot slip through.
  const redact = (text: string) => scrub(text, ctx.secrets);
  const facts = backendFacts(reply, redact);
  const rawLocation =
    reply.status >= 300 && reply.status <= 399 ? headerValue(reply, 'location') : undefined;
  const location = rawLocation === undefined ? undefined : redact(rawLocation);
  const parts = [`ToolBridge API answered ${statusLine(reply.status)}`];
  if (showRequest) parts.push(` for ${ctx.method} ${ctx.path}`);
  if (facts.backendError !== undefined) parts.push(`: ${facts.backendError}`);
  if (location !== undefined) parts.push(` (redirect to ${clip(location) ?? ''} not followed)`);
  if (facts.correlationId !== undefined) parts.push(` (correlation_id ${facts.correlationId})`);
  return fail(ctx, 'UPSTREAM_HTTP_ERROR', parts.join(''), {
    status: reply.status,
    backendError: facts.backendError,
    correlationId: facts.correlationId,
    method: ctx.method,
    path: ctx.path,
    ...(location === undefined ? {} : { location }),
  });
}

/** A non-2xx answer to the data call (3xx included: redirects are not followed). */
export const httpError = (reply: RawReply, ctx: FailureContext): AppError =>
  answered(reply, ctx, true);

/** A 2xx whose body is not what it must be. */
export function badResponseError(reply: RawReply, ctx: FailureContext, problem: string): AppError {
  const correlationId = headerValue(reply, 'x-correlation-id');
  const suffix = correlationId === undefined ? '' : ` (correlation_id ${correlationId})`;
  return fail(
    ctx,
    'UPSTREAM_BAD_RESPONSE',
    `ToolBridge API answered ${statusLine(reply.status)} for ${ctx.method} ${ctx.path} ${problem}${suffix}`,
    { status: reply.status, correlationId, method: ctx.method, path: ctx.path },
  );
}

export function deadlineError(outcome: DeadlineOutcome, ctx: FailureContext, cause?: unknown) {
  const details = { method: ctx.method, path: ctx.path, timeoutMs: ctx.timeoutMs };
  if (outcome === 'timeout') {
    return fail(
      ctx,
      'UPSTREAM_TIMEOUT',
      `ToolBridge API did not answer within ${ctx.timeoutMs} ms`,
      details,
      cause,
    );
  }
  const message =
    outcome === 'shutdown'
      ? 'The gateway is shutting down; the ToolBridge API request was cut'
      : 'The ToolBridge API request was cancelled';
  return fail(ctx, 'UPSTREAM_CANCELLED', message, details, cause);
}

/** `code` of the error and of its causes, outermost first (undici wraps socket errors). */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if ('code' in current && typeof current.code === 'string') codes.push(current.code);
    current = current.cause;
  }
  return codes;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);

/** A request that got no HTTP answer: deadline, cancellation, or a network failure. */
export function transportError(
  error: unknown,
  outcome: DeadlineOutcome | undefined,
  ctx: FailureContext,
): AppError {
  if (outcome !== undefined) return deadlineError(outcome, ctx, error);
  if (error instanceof ResponseTooLarge) {
    return fail(
      ctx,
      'UPSTREAM_BAD_RESPONSE',
      `ToolBridge API answer to ${ctx.method} ${ctx.path} is larger than the gateway accepts (${error.limit} bytes, TOOLBRIDGE_UPSTREAM_MAX_RESPONSE_BYTES)`,
      { method: ctx.method, path: ctx.path, limit: error.limit },
      error,
    );
  }
  const codes = errorCodes(error);
  if (codes.some((code) => TIMEOUT_CODES.has(code))) return deadlineError('timeout', ctx, error);
  const system = codes.find((code) => /^E[A-Z0-9_]+$/.test(code));
  const connectTimeout = codes.includes('UND_ERR_CONNECT_TIMEOUT');
  const shown = connectTimeout
    ? `connect timeout after ${ctx.connectTimeoutMs} ms`
    : (system ?? codes[0] ?? (error instanceof Error ? error.name : 'unknown error'));
  const details = { method: ctx.method, path: ctx.path, errorCode: shown };
  const network =
    connectTimeout || system !== undefined || codes.some((code) => CONNECTION_CODES.has(code));
  // Anything else (e.g. undici refusing a header value) never left this process. The message
  // reaches clients, so it names the request, never the API's address.
  const message = network
    ? `ToolBridge API is unreachable for ${ctx.method} ${ctx.path} (${shown})`
    : `Could not send ${ctx.method} ${ctx.path} to the ToolBridge API (${shown})`;
  return fail(ctx, 'UPSTREAM_UNREACHABLE', message, details, error);
}

/** A non-2xx answer to POST /v1/sync/sessions. */
export function sessionHttpError(reply: RawReply, ctx: FailureContext): AppError {
  return asSessionFailure(answered(reply, ctx, false));
}

/** A non-2xx answer to POST /auth/token-exchange. */
export function tokenHttpError(reply: RawReply, ctx: FailureContext): AppError {
  return asTokenFailure(answered(reply, ctx, false));
}

/** Codes that describe the backend or the call, whichever request was in flight. */
const CALL_LEVEL = new Set<ErrorCode>([
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_CANCELLED',
  'UPSTREAM_UNREACHABLE',
]);

/**
 * A failure while opening a session becomes UPSTREAM_SESSION_FAILED (the underlying code kept as
 * `details.reason`). Timeout, cancellation and an unreachable backend keep their own codes, marked
 * `phase: 'session'`: a caller switching on codes must see "backend down" as such, and every new
 * identity's first request is a session POST.
 */
export function asSessionFailure(error: AppError): AppError {
  if (CALL_LEVEL.has(error.code)) {
    return new AppError(error.code, error.message, {
      cause: error.cause,
      details: { ...error.details, phase: 'session' },
    });
  }
  return new AppError('UPSTREAM_SESSION_FAILED', `${SESSION_PREFIX}${error.message}`, {
    cause: error,
    details: { ...error.details, reason: error.code, phase: 'session' },
  });
}

/**
 * The same for the token exchange (TOOLBRIDGE_BACKEND_AUTH=exchange): BACKEND_TOKEN_FAILED, or
 * the call-level code with `phase: 'token-exchange'`. The message always says it was the
 * exchange, since a timeout's own text does not name the request.
 */
export function asTokenFailure(error: AppError): AppError {
  const callLevel = CALL_LEVEL.has(error.code);
  return new AppError(
    callLevel ? error.code : 'BACKEND_TOKEN_FAILED',
    `${TOKEN_PREFIX}${error.message}`,
    {
      cause: callLevel ? error.cause : error,
      details: {
        ...error.details,
        ...(callLevel ? {} : { reason: error.code }),
        phase: 'token-exchange',
      },
    },
  );
}
