/**
 * The seam between tools/ and proxy/: tools build an UpstreamRequest from validated arguments;
 * the upstream client sends it for a backend identity and returns the parsed JSON answer, or
 * throws an AppError with an UPSTREAM_* code.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface UpstreamRequest {
  readonly method: HttpMethod;
  /** Path below the configured base URL, e.g. `/v1/notes/<uid>`; path parameters already percent-encoded. */
  readonly path: string;
  /** Query parameters, in the order they are sent. */
  readonly query?: readonly (readonly [name: string, value: string])[];
  /** JSON body; `undefined` sends no body at all. */
  readonly body?: unknown;
  /** `If-Match` header (the update tools), sent as an unquoted decimal. */
  readonly ifMatch?: number;
}

/**
 * Who the backend sees (CONTRACT.md A.2), and which tenant the X-TB-* headers are signed for:
 * a bearer sent as it is, or a backend token the upstream client obtains for a verified subject
 * (TOOLBRIDGE_BACKEND_AUTH, docs/backend-auth.md).
 */
export type BackendIdentity = PresentedIdentity | IssuedIdentity;

/** The caller's own bearer (`forward`) or TOOLBRIDGE_JWT_TOKEN (`shared`), sent unchanged. */
export interface PresentedIdentity {
  /** The `Authorization` header value sent to the backend, e.g. `Bearer eyJ…`. */
  readonly authorization: string;
  /** The JWT subject: `X-Debug-Sub` on session creation, and part of the session-cache key. */
  readonly subject: string;
  readonly tenantId: string;
  readonly issued?: undefined;
}

/** A verified subject the gateway signs short-lived backend tokens for (`mint`). */
export interface MintedIdentity {
  readonly issued: 'mint';
  readonly subject: string;
  readonly tenantId: string;
  readonly authorization?: undefined;
}

/** A verified subject whose own token the API's token exchange turns into a backend token. */
export interface ExchangedIdentity {
  readonly issued: 'exchange';
  readonly subject: string;
  readonly tenantId: string;
  /** The caller's Authorization: sent to POST /auth/token-exchange only, never to data routes. */
  readonly callerAuthorization: string;
  readonly authorization?: undefined;
}

export type IssuedIdentity = MintedIdentity | ExchangedIdentity;

export interface CallOptions {
  /** Aborts the upstream request (the MCP request was cancelled or the client went away). */
  readonly signal?: AbortSignal;
  /** Sent as `X-Correlation-ID`. */
  readonly correlationId?: string;
}

export interface UpstreamResponse {
  readonly status: number;
  /** The parsed JSON body. */
  readonly body: unknown;
}

export interface Upstream {
  call(
    request: UpstreamRequest,
    identity: BackendIdentity,
    options?: CallOptions,
  ): Promise<UpstreamResponse>;
  /** Connection-pool state for metrics; undefined when the dispatcher was injected. */
  poolStats?(): PoolStats | undefined;
  /**
   * Ends every upstream request in flight, and fails every later call at once: a shutdown whose
   * drain timed out. The calls fail with UPSTREAM_CANCELLED, saying the gateway is stopping.
   */
  cut(): void;
  /** Closes the connection pool once the requests running on it have finished; after cut(), at once. */
  close(): Promise<void>;
}

export interface PoolStats {
  readonly connected: number;
  readonly free: number;
  readonly pending: number;
  readonly queued: number;
  readonly running: number;
}
