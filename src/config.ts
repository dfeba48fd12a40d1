import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  anyText,
  baseUrl,
  claimName,
  headerName,
  headerToken,
  host,
  hostList,
  integerIn,
  issuerList,
  logLevel,
  oneOf,
  originList,
  rateLimits,
  redisUrl,
  scopeList,
  scopeName,
  tenantId,
  variable,
  wholeSeconds,
} from './config-values.ts';
import { parseServiceKeys } from './auth/service-keys.ts';
import { BACKEND_AUTH_MODES } from './auth/identity.ts';
import { backendAuthWarnings, defaultBackendAuth } from './config-backend.ts';
import { crossProblems, warningsFor, type ConfigMode } from './config-rules.ts';
import { parseDotenv } from './dotenv.ts';
import { AppError } from './errors.ts';

export type { LogLevel } from './config-values.ts';
export type { ConfigMode } from './config-rules.ts';

/**
 * The gateway's configuration: one zod parse of the environment (plus an optional `.env` file in
 * the working directory, as the Python service read it; CONTRACT.md C.1). Nothing else in the
 * code base reads `process.env`.
 *
 * Error messages name the variable and what it expects, never the value that was given: a
 * secret pasted into the wrong variable must not end up in a terminal or a log.
 */

const PREFIX = 'TOOLBRIDGE_';

const EnvSchema = z.object({
  // The Python service's variables (CONTRACT.md C.1), same names and meanings.
  TOOLBRIDGE_GO_API_BASE_URL: variable('the ToolBridge Go API base URL', baseUrl).optional(),
  TOOLBRIDGE_TENANT_ID: variable('the tenant id sent as X-TB-Tenant-ID', tenantId).optional(),
  TOOLBRIDGE_TENANT_HEADER_SECRET: variable('an HMAC secret', anyText).optional(),
  TOOLBRIDGE_JWT_TOKEN: variable('a bearer token', headerToken).optional(),
  TOOLBRIDGE_LOG_LEVEL: variable('a log level', logLevel).default('info'),
  TOOLBRIDGE_HOST: variable('a bind address', host).optional(),
  TOOLBRIDGE_PORT: variable(
    'a TCP port',
    integerIn(0, 65_535, 'an integer from 0 to 65535'),
  ).default(8001),
  TOOLBRIDGE_METRICS_PORT: variable(
    'a TCP port',
    integerIn(0, 65_535, 'an integer from 0 to 65535'),
  ).optional(),
  TOOLBRIDGE_MAX_TIMESTAMP_SKEW_SECONDS: variable(
    'seconds',
    integerIn(1, 86_400, 'a whole number of seconds from 1 to 86400'),
  ).default(300),
  // Client authentication.
  TOOLBRIDGE_AUTH: variable('jwt or none', oneOf(['jwt', 'none'] as const)).default('jwt'),
  TOOLBRIDGE_JWT_SECRET: variable('an HS256 secret', anyText).optional(),
  TOOLBRIDGE_JWT_JWKS_URL: variable('a JWKS URL', baseUrl).optional(),
  TOOLBRIDGE_JWT_ISSUER: variable('an issuer', anyText).optional(),
  TOOLBRIDGE_JWT_AUDIENCE: variable('an audience', anyText).optional(),
  TOOLBRIDGE_TENANT_CLAIM: variable('a claim name', claimName).default('tenant_id'),
  // Agent runtimes calling on behalf of their users (docs/agent-runtimes.md).
  TOOLBRIDGE_SERVICE_KEYS: variable(
    'a JSON array of service keys, or @ and the path of a file holding one',
    parseServiceKeys,
  ).optional(),
  TOOLBRIDGE_IDENTITY_HEADER: variable('a header name', headerName).default('x-toolbridge-user'),
  TOOLBRIDGE_IDENTITY_SECRET: variable('an HS256 secret', anyText).optional(),
  TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS: variable('seconds', wholeSeconds(10, 3600)).default(300),
  // What the Go API is shown (docs/backend-auth.md).
  TOOLBRIDGE_BACKEND_AUTH: variable(
    'forward, mint, exchange or shared',
    oneOf(BACKEND_AUTH_MODES),
  ).optional(),
  TOOLBRIDGE_BACKEND_JWT_SECRET: variable('an HS256 secret', anyText).optional(),
  TOOLBRIDGE_BACKEND_JWT_ISSUER: variable('an issuer', anyText).optional(),
  TOOLBRIDGE_BACKEND_JWT_AUDIENCE: variable('an audience', anyText).optional(),
  // The OAuth resource server (issue 18): RFC 9728 metadata and scopes of JWKS tokens.
  TOOLBRIDGE_AUTHORIZATION_SERVERS: variable('issuer URLs', issuerList).optional(),
  TOOLBRIDGE_REQUIRED_SCOPES: variable('OAuth scopes', scopeList).optional(),
  TOOLBRIDGE_READ_SCOPE: variable('an OAuth scope', scopeName).optional(),
  TOOLBRIDGE_WRITE_SCOPE: variable('an OAuth scope', scopeName).optional(),
  // HTTP edge and MCP sessions.
  TOOLBRIDGE_PUBLIC_BASE_URL: variable('the public base URL', baseUrl).optional(),
  TOOLBRIDGE_ALLOWED_ORIGINS: variable('origins', originList).default([]),
  TOOLBRIDGE_ALLOWED_HOSTS: variable('host names', hostList).default([]),
  TOOLBRIDGE_HTTP_HEADER_TIMEOUT_SECONDS: variable('seconds', wholeSeconds(1, 600)).default(10),
  TOOLBRIDGE_HTTP_BODY_TIMEOUT_SECONDS: variable('seconds', wholeSeconds(1, 3600)).default(30),
  TOOLBRIDGE_TOOL_TIMEOUT_MS: variable(
    'milliseconds',
    integerIn(100, 600_000, 'milliseconds from 100 to 600000'),
  ).default(15_000),
  TOOLBRIDGE_UPSTREAM_MAX_RESPONSE_BYTES: variable(
    'bytes',
    integerIn(1024, 1_073_741_824, 'a byte count from 1024 to 1073741824'),
  ).default(33_554_432),
  TOOLBRIDGE_SESSION_IDLE_SECONDS: variable(
    'seconds',
    integerIn(10, 86_400, 'a whole number of seconds from 10 to 86400'),
  ).default(1800),
  TOOLBRIDGE_SHUTDOWN_TIMEOUT_SECONDS: variable(
    'seconds',
    integerIn(0, 3600, 'a whole number of seconds from 0 to 3600'),
  ).default(7),
  TOOLBRIDGE_SHUTDOWN_DELAY_SECONDS: variable(
    'seconds',
    integerIn(0, 300, 'a whole number of seconds from 0 to 300'),
  ).default(0),
  TOOLBRIDGE_MAX_SESSIONS: variable(
    'a session count',
    integerIn(1, 1_000_000, 'an integer from 1 to 1000000'),
  ).default(10_000),
  TOOLBRIDGE_MAX_SESSIONS_PER_PRINCIPAL: variable(
    'a session count',
    integerIn(1, 1_000_000, 'an integer from 1 to 1000000'),
  ).default(1_000),
  TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL: variable(
    'a call count',
    integerIn(1, 100_000, 'an integer from 1 to 100000'),
  ).default(32),
  TOOLBRIDGE_RATE_LIMITS: variable('rate limit rules', rateLimits).default([]),
  // The session store shared by replicas (issue 17); unset, sessions live in this process.
  TOOLBRIDGE_REDIS_URL: variable('a Redis URL', redisUrl).optional(),
  TOOLBRIDGE_REDIS_PASSWORD: variable('a Redis password', anyText).optional(),
});

export const Config = EnvSchema.transform((env) => ({
  /** Undefined: no Go API configured, the embedded backend serves instead. */
  goApiBaseUrl: env.TOOLBRIDGE_GO_API_BASE_URL,
  tenantId: env.TOOLBRIDGE_TENANT_ID,
  tenantHeaderSecret: env.TOOLBRIDGE_TENANT_HEADER_SECRET,
  jwtToken: env.TOOLBRIDGE_JWT_TOKEN,
  logLevel: env.TOOLBRIDGE_LOG_LEVEL,
  // The embedded API is for trying the gateway out, with a dev token printed at start: that setup
  // stays on this machine unless TOOLBRIDGE_HOST says otherwise. With a Go API, every interface
  // (containers and Fly machines), as the Python service bound.
  host:
    env.TOOLBRIDGE_HOST ?? (env.TOOLBRIDGE_GO_API_BASE_URL === undefined ? '127.0.0.1' : '0.0.0.0'),
  port: env.TOOLBRIDGE_PORT,
  /** Undefined: /metrics is served on the main port. */
  metricsPort: env.TOOLBRIDGE_METRICS_PORT,
  /** Validated and kept for Python deployments; nothing on the wire depends on it (CONTRACT.md, trap 7). */
  maxTimestampSkewSeconds: env.TOOLBRIDGE_MAX_TIMESTAMP_SKEW_SECONDS,
  auth: {
    mode: env.TOOLBRIDGE_AUTH,
    jwtSecret: env.TOOLBRIDGE_JWT_SECRET,
    jwksUrl: env.TOOLBRIDGE_JWT_JWKS_URL,
    issuer: env.TOOLBRIDGE_JWT_ISSUER,
    audience: env.TOOLBRIDGE_JWT_AUDIENCE,
    tenantClaim: env.TOOLBRIDGE_TENANT_CLAIM,
  },
  backChannel: {
    /** Only hashes. Empty: no service keys, so every caller brings a client token. */
    serviceKeys: env.TOOLBRIDGE_SERVICE_KEYS ?? [],
    identityHeader: env.TOOLBRIDGE_IDENTITY_HEADER,
    identitySecret: env.TOOLBRIDGE_IDENTITY_SECRET,
    identityMaxTtlSeconds: env.TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS,
  },
  backendAuth: {
    mode:
      env.TOOLBRIDGE_BACKEND_AUTH ??
      defaultBackendAuth({
        sharedToken: env.TOOLBRIDGE_JWT_TOKEN !== undefined,
        jwks: env.TOOLBRIDGE_JWT_JWKS_URL !== undefined,
        authOff: env.TOOLBRIDGE_AUTH === 'none',
      }),
    /** The Go API's JWT_HS256_SECRET for minted tokens; unset, TOOLBRIDGE_JWT_SECRET's is used. */
    secret: env.TOOLBRIDGE_BACKEND_JWT_SECRET,
    issuer: env.TOOLBRIDGE_BACKEND_JWT_ISSUER,
    audience: env.TOOLBRIDGE_BACKEND_JWT_AUDIENCE,
  },
  /** Undefined: the issuer, when a JWKS verifies its tokens (gateway.ts). */
  authorizationServers: env.TOOLBRIDGE_AUTHORIZATION_SERVERS,
  scopes: {
    required: env.TOOLBRIDGE_REQUIRED_SCOPES,
    read: env.TOOLBRIDGE_READ_SCOPE,
    write: env.TOOLBRIDGE_WRITE_SCOPE,
  },
  publicBaseUrl: env.TOOLBRIDGE_PUBLIC_BASE_URL,
  allowedOrigins: env.TOOLBRIDGE_ALLOWED_ORIGINS,
  allowedHosts: env.TOOLBRIDGE_ALLOWED_HOSTS,
  httpTimeouts: {
    headerSeconds: env.TOOLBRIDGE_HTTP_HEADER_TIMEOUT_SECONDS,
    bodySeconds: env.TOOLBRIDGE_HTTP_BODY_TIMEOUT_SECONDS,
  },
  toolTimeoutMs: env.TOOLBRIDGE_TOOL_TIMEOUT_MS,
  upstreamMaxResponseBytes: env.TOOLBRIDGE_UPSTREAM_MAX_RESPONSE_BYTES,
  sessionIdleSeconds: env.TOOLBRIDGE_SESSION_IDLE_SECONDS,
  maxSessions: env.TOOLBRIDGE_MAX_SESSIONS,
  maxSessionsPerPrincipal: env.TOOLBRIDGE_MAX_SESSIONS_PER_PRINCIPAL,
  maxInflightPerPrincipal: env.TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL,
  /** Empty: no rate limits (docs/limits.md). */
  rateLimits: env.TOOLBRIDGE_RATE_LIMITS,
  shutdownTimeoutSeconds: env.TOOLBRIDGE_SHUTDOWN_TIMEOUT_SECONDS,
  /** Before the drain, /readyz alone says 503 for this long (balancers that poll it). */
  shutdownDelaySeconds: env.TOOLBRIDGE_SHUTDOWN_DELAY_SECONDS,
  /** Undefined: the memory session store. May carry the password: show only `redisTarget`. */
  redisUrl: env.TOOLBRIDGE_REDIS_URL,
  redisPassword: env.TOOLBRIDGE_REDIS_PASSWORD,
}));
export type Config = z.output<typeof Config> & {
  /** Things worth telling an operator at start-up that do not stop the process. */
  readonly warnings: readonly string[];
  /** FLY_MACHINE_ID: this replica's name in X-TB-Replica; undefined off Fly. */
  readonly flyMachineId: string | undefined;
};

export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

/**
 * FLY_MACHINE_ID is Fly's, not ours (hence no TOOLBRIDGE_ prefix): set on every machine, it names
 * the replica in X-TB-Replica. Elsewhere each process makes up an id of its own.
 */
const FlyMachineId = z
  .string()
  .regex(/^[0-9A-Za-z_-]{1,64}$/, 'must be up to 64 letters, digits, - or _')
  .optional();

export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Text of a `.env` file; its values lose to the environment's, as with pydantic-settings. */
  dotenv?: string | undefined;
}

/**
 * Collects `TOOLBRIDGE_*` variables case-insensitively. An empty value counts as unset, so a
 * variable declared but left blank (common in compose files) falls back to its default; and as
 * the real environment wins over `.env`, an empty one there also unsets what `.env` says, as it
 * did for pydantic-settings (CONTRACT.md C.1).
 */
function collect(sources: ConfigSources): { values: Record<string, string>; unknown: string[] } {
  const values: Record<string, string> = {};
  const unknown = new Set<string>();
  const layers = [
    sources.dotenv === undefined ? {} : parseDotenv(sources.dotenv, sources.env),
    sources.env,
  ];
  for (const layer of layers) {
    // Exact upper-case spellings are applied last so they win over other casings.
    const entries = Object.entries(layer).sort(
      ([a], [b]) => Number(a === a.toUpperCase()) - Number(b === b.toUpperCase()),
    );
    for (const [key, value] of entries) {
      const name = key.toUpperCase();
      if (!name.startsWith(PREFIX) || value === undefined) continue;
      if (value === '') {
        Reflect.deleteProperty(values, name);
        continue;
      }
      if (CONFIG_VARIABLES.includes(name)) values[name] = value;
      else unknown.add(name);
    }
  }
  return { values, unknown: [...unknown].sort() };
}

/** Parses the configuration or throws one `CONFIG_INVALID` error naming every bad variable. */
export function loadConfig(sources: ConfigSources, mode: ConfigMode = 'http'): Readonly<Config> {
  const { values, unknown } = collect(sources);
  const parsed = Config.safeParse(values);
  const machine = FlyMachineId.safeParse(nonEmpty(sources.env['FLY_MACHINE_ID']));
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`)),
    ...(machine.success ? [] : [`FLY_MACHINE_ID ${machine.error.issues[0]?.message ?? 'invalid'}`]),
    ...crossProblems(values, mode, sources.env['NODE_ENV'] === 'production'),
  ];
  if (!parsed.success || !machine.success || problems.length > 0) {
    const hints = unknown.length > 0 ? [`  (not recognised: ${unknown.join(', ')})`] : [];
    throw new AppError(
      'CONFIG_INVALID',
      [
        `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map((problem) => `  ${problem}`),
        ...hints,
      ].join('\n'),
    );
  }
  return Object.freeze({
    ...parsed.data,
    warnings: Object.freeze([
      ...warningsFor(parsed.data, unknown),
      ...backendAuthWarnings(parsed.data.backendAuth),
    ]),
    flyMachineId: machine.data,
  });
}

/** An empty variable counts as unset, as for TOOLBRIDGE_* ones. */
const nonEmpty = (value: string | undefined) => (value === '' ? undefined : value);

/** Reads `.env` from `cwd` if there is one. */
export function readDotenv(cwd: string): string | undefined {
  const path = join(cwd, '.env');
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new AppError('CONFIG_INVALID', `invalid configuration: cannot read ${path}`, {
      cause: error,
    });
  }
}

/** The composition root's entry: the process environment plus `./.env`. */
export function loadConfigFromProcess(
  mode: ConfigMode = 'http',
  cwd: string = process.cwd(),
): Readonly<Config> {
  return loadConfig({ env: process.env, dotenv: readDotenv(cwd) }, mode);
}
