import type { Dispatcher } from 'undici';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MintOptions } from './mint.ts';
import type { TokenExchangeOptions } from './token-exchange.ts';

export interface UpstreamOptions {
  /** E.g. `https://h/api`; the path prefix is kept (CONTRACT.md trap 9). */
  baseUrl: string;
  /** TOOLBRIDGE_TENANT_HEADER_SECRET: the HMAC key for X-TB-Signature. */
  tenantHeaderSecret: string;
  /** Deadline for a whole call, session creation and retry included (TOOLBRIDGE_TOOL_TIMEOUT_MS). */
  toolTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Replaces the default pool (undici MockAgent in tests); the caller keeps ownership of it. */
  dispatcher?: Dispatcher;
  /** Milliseconds since the Unix epoch: X-TB-Timestamp and session expiry. */
  now?: () => number;
  /** A cached sync session is replaced this long before its expiresAt. */
  sessionRefreshMarginMs?: number;
  /** Bound on cached sync sessions (one per backend identity); least recently used evicted. */
  maxCachedSessions?: number;
  /** Sent as User-Agent, e.g. `toolbridge-mcp/0.1.0`. */
  userAgent?: string;
  /** An answer larger than this fails the call (TOOLBRIDGE_UPSTREAM_MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
  /** Told about every finished exchange with the API (metrics); status is undefined on failure. */
  onExchange?: (exchange: UpstreamExchange) => void;
  /** At DEBUG, one line per request to the API (see exchange-log.ts); quiet otherwise. */
  logger?: Logger;
  /** TOOLBRIDGE_BACKEND_AUTH=mint: how tokens for minted identities are signed. */
  mint?: MintOptions | undefined;
  /** TOOLBRIDGE_BACKEND_AUTH=exchange: what the API's token exchange is asked for. */
  tokenExchange?: TokenExchangeOptions | undefined;
}

export interface UpstreamExchange {
  readonly method: string;
  readonly status: number | undefined;
  readonly seconds: number;
}

export const DEFAULTS = {
  toolTimeoutMs: 15_000,
  connectTimeoutMs: 5_000,
  sessionRefreshMarginMs: 60_000,
  maxCachedSessions: 10_000,
  userAgent: 'toolbridge-mcp',
  maxResponseBytes: 32 * 1024 * 1024,
} as const;

export interface ResolvedOptions {
  readonly tenantHeaderSecret: string;
  readonly toolTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly now: () => number;
  readonly sessionRefreshMarginMs: number;
  readonly maxCachedSessions: number;
  readonly userAgent: string;
  readonly maxResponseBytes: number;
}

function whole(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new AppError('CONFIG_INVALID', `Upstream option ${name} must be an integer ≥ ${min}`);
  }
  return value;
}

export function resolveOptions(options: UpstreamOptions): ResolvedOptions {
  if (options.tenantHeaderSecret === '') {
    throw new AppError('CONFIG_INVALID', 'The tenant header secret must not be empty');
  }
  return {
    tenantHeaderSecret: options.tenantHeaderSecret,
    toolTimeoutMs: whole(options.toolTimeoutMs ?? DEFAULTS.toolTimeoutMs, 'toolTimeoutMs', 1),
    connectTimeoutMs: whole(
      options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      'connectTimeoutMs',
      1,
    ),
    now: options.now ?? Date.now,
    sessionRefreshMarginMs: whole(
      options.sessionRefreshMarginMs ?? DEFAULTS.sessionRefreshMarginMs,
      'sessionRefreshMarginMs',
      0,
    ),
    maxCachedSessions: whole(
      options.maxCachedSessions ?? DEFAULTS.maxCachedSessions,
      'maxCachedSessions',
      1,
    ),
    userAgent: options.userAgent ?? DEFAULTS.userAgent,
    maxResponseBytes: whole(
      options.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
      'maxResponseBytes',
      1,
    ),
  };
}
