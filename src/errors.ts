/**
 * The one error type of the gateway. Callers switch on `code`, never on message text.
 * `message` is always safe to show to an operator or an MCP client: it never carries a secret.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  /** The gateway could not listen: port in use, host unresolvable or not this machine's. */
  | 'LISTEN_FAILED'
  // Client authentication (src/auth)
  | 'TOKEN_MISSING'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  /** The token lacks a scope the request or the tool needs (TOOLBRIDGE_*_SCOPE settings). */
  | 'SCOPE_INSUFFICIENT'
  | 'TENANT_FORBIDDEN'
  | 'TENANT_UNRESOLVED'
  /** The token could not be checked at all: the JWKS endpoint failed. Not the caller's fault. */
  | 'AUTH_UNAVAILABLE'
  // Agent runtimes calling on behalf of users (src/auth/on-behalf.ts)
  /** A `tbk_` bearer that is malformed or matches no configured service key. */
  | 'SERVICE_KEY_INVALID'
  /** A service-key call without the end user's identity header. */
  | 'IDENTITY_MISSING'
  | 'IDENTITY_INVALID'
  | 'IDENTITY_EXPIRED'
  /** The identity token lives longer than TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS. */
  | 'IDENTITY_TTL_TOO_LONG'
  /** Only the signature failed: the drift signal (the platform signs with another secret or key). */
  | 'IDENTITY_SIGNATURE'
  // Tool arguments (src/tools)
  | 'INVALID_ARGUMENTS'
  /** The caller already has TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL tool calls running. */
  | 'INFLIGHT_LIMIT'
  /** A TOOLBRIDGE_RATE_LIMITS bucket of the caller is empty; the message says when to retry. */
  | 'RATE_LIMITED'
  // The ToolBridge API (src/proxy)
  | 'UPSTREAM_HTTP_ERROR'
  | 'UPSTREAM_SESSION_FAILED'
  /** The API's token exchange gave no backend token for the caller (TOOLBRIDGE_BACKEND_AUTH=exchange). */
  | 'BACKEND_TOKEN_FAILED'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_CANCELLED'
  // The session store (src/store)
  /** Redis did not answer in time, is reconnecting, or failed; the session is neither lost nor made. */
  | 'STORE_UNAVAILABLE'
  /** A session id that is live or ended recently was offered again; ids are never reused. */
  | 'SESSION_ID_TAKEN';

/** Facts an error carries for mapping and logging; never secrets. */
export type ErrorDetails = Readonly<Record<string, string | number | undefined>>;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: ErrorDetails } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details ?? {};
  }
}
