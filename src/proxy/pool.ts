import { Pool } from 'undici';

/**
 * Idle sockets are closed after 30 s: well under the Go API's 120 s IdleTimeout (CONTRACT.md
 * B.1), so we never write to a socket the server is closing, and under common load-balancer idle
 * limits (60 s), while a steady stream of calls still reuses warm connections.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 30_000;
/** Caps how far a server `Keep-Alive: timeout=` hint may stretch the above. */
export const KEEP_ALIVE_MAX_TIMEOUT_MS = 60_000;
/** Concurrent sockets to the backend; more calls queue inside the pool, under their deadline. */
export const MAX_CONNECTIONS = 128;

export interface PoolTimeouts {
  readonly connectTimeoutMs: number;
  /** The per-call deadline; headers/body timeouts equal it as a backstop for the signal. */
  readonly toolTimeoutMs: number;
}

/** One keep-alive HTTP/1.1 pool for the backend origin. undici follows no redirects here. */
export function createPool(origin: string, timeouts: PoolTimeouts): Pool {
  return new Pool(origin, {
    connections: MAX_CONNECTIONS,
    pipelining: 1,
    allowH2: false,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MAX_TIMEOUT_MS,
    connectTimeout: timeouts.connectTimeoutMs,
    headersTimeout: timeouts.toolTimeoutMs,
    bodyTimeout: timeouts.toolTimeoutMs,
  });
}
