import { readFileSync } from 'node:fs';
import type { JWTVerifyGetKey } from 'jose';
import type { Dispatcher } from 'undici';
import type { BackendAuthMode } from './auth/identity.ts';
import type { ScopeSettings } from './auth/scopes.ts';
import type { ServiceKeyEntry } from './auth/service-keys.ts';
import type { Principal, VerifierOptions } from './auth/verifier.ts';
import type { HttpTimeouts } from './http/server.ts';
import type { RateRule } from './limits/rules.ts';
import type { SessionBackplane } from './store/index.ts';

/** What a gateway is built from: its settings, resolved from the configuration, and its deps. */

/** Everything the gateway needs, resolved: main.ts fills it from the configuration. */
export interface GatewaySettings {
  goApiBaseUrl: string;
  tenantHeaderSecret: string;
  /** The resource a JWKS token must name is derived from publicBaseUrl. */
  auth: Omit<VerifierOptions, 'now' | 'jwks' | 'pinnedTenant' | 'resource'>;
  /**
   * TOOLBRIDGE_AUTHORIZATION_SERVERS, for the RFC 9728 metadata (default: the issuer, when a
   * JWKS verifies its tokens).
   */
  authorizationServers?: readonly string[] | undefined;
  /** TOOLBRIDGE_REQUIRED_SCOPES, _READ_SCOPE and _WRITE_SCOPE (default: no scope checks). */
  scopes?: ScopeSettings | undefined;
  pinnedTenant?: string | undefined;
  /** TOOLBRIDGE_JWT_TOKEN: every caller acts as this backend user. */
  sharedToken?: string | undefined;
  /** TOOLBRIDGE_BACKEND_AUTH and its token settings; unset: `shared` with a shared token, else `forward`. */
  backendAuth?: BackendAuthSettings | undefined;
  host: string;
  port: number;
  /** TOOLBRIDGE_METRICS_PORT: /metrics on a listener of its own, off the MCP port. */
  metricsPort?: number | undefined;
  /** TOOLBRIDGE_HTTP_*_TIMEOUT_SECONDS: how long a request may take to arrive, on both ports. */
  httpTimeouts?: HttpTimeouts | undefined;
  allowedOrigins: readonly string[];
  /** TOOLBRIDGE_ALLOWED_HOSTS: names the Host check accepts besides the public URL's. */
  allowedHosts?: readonly string[];
  publicBaseUrl?: string | undefined;
  toolTimeoutMs: number;
  /** TOOLBRIDGE_UPSTREAM_MAX_RESPONSE_BYTES: larger API answers fail the call (default 32 MiB). */
  upstreamMaxResponseBytes?: number;
  sessionIdleSeconds: number;
  maxSessions: number;
  /** TOOLBRIDGE_REDIS_URL (may carry a password: never logged) and _PASSWORD: sessions shared. */
  redisUrl?: string | undefined;
  redisPassword?: string | undefined;
  /** FLY_MACHINE_ID: this replica's name in X-TB-Replica (default: random, per process). */
  replicaId?: string | undefined;
  /** Sessions one principal may hold (default: maxSessions). */
  maxSessionsPerPrincipal?: number;
  /** Tool calls one principal may have running at once (default: no cap). */
  maxInflightPerPrincipal?: number | undefined;
  /** Agent runtimes calling for their users (docs/agent-runtimes.md); unset: no service keys. */
  backChannel?: BackChannelSettings | undefined;
  /** TOOLBRIDGE_RATE_LIMITS (default: none). */
  rateLimits?: readonly RateRule[] | undefined;
  maxBodyBytes?: number;
  /** Standing configuration warnings, repeated by /readyz. */
  warnings?: readonly string[];
}

/** TOOLBRIDGE_SERVICE_KEYS (hashes only) and the identity tokens their calls carry. */
export interface BackChannelSettings {
  readonly serviceKeys: readonly ServiceKeyEntry[];
  readonly identityHeader: string;
  readonly identitySecret?: string | undefined;
  readonly identityMaxTtlSeconds: number;
}

/** What the Go API is shown (docs/backend-auth.md). */
export interface BackendAuthSettings {
  readonly mode: BackendAuthMode;
  /** `mint`: the Go API's JWT_HS256_SECRET, required. */
  readonly secret?: string | undefined;
  /** `mint`: `iss` of minted tokens (default `toolbridge-mcp`). */
  readonly issuer?: string | undefined;
  /** `mint`: `aud` of minted tokens; `exchange`: the audience asked for (default the API's URL). */
  readonly audience?: string | undefined;
  /** `mint`: seconds a token lives, at most 300 (the default). */
  readonly lifetimeSeconds?: number | undefined;
  /** `exchange`: how long one exchange may take (default 10 s). */
  readonly exchangeTimeoutMs?: number | undefined;
}

export const VERSION: string = (() => {
  const pkg: unknown = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  );
  return typeof pkg === 'object' &&
    pkg !== null &&
    'version' in pkg &&
    typeof pkg.version === 'string'
    ? pkg.version
    : '0.0.0';
})();

/**
 * What the gateway takes from outside besides its settings, so tests inject them instead of
 * re-wiring this file or sleeping on the real clock. Each has a production default.
 */
export interface GatewayDeps {
  /** Milliseconds since the epoch: token expiry, X-TB-Timestamp, session times. */
  now?: () => number;
  /** The upstream dispatcher (an undici MockAgent, a recording agent); its owner closes it. */
  dispatcher?: Dispatcher;
  /** Key lookup for asymmetric client tokens, in place of the JWKS URL's remote set. */
  jwks?: JWTVerifyGetKey;
  /**
   * Where session records live, owned by the caller (default: the backplane the settings ask for,
   * memory or Redis, with their idle time and caps; the gateway closes that one).
   */
  backplane?: SessionBackplane;
  /** stdio has no HTTP edge: every call acts as this principal. */
  fallbackPrincipal?: Principal;
}
