import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { AppError } from './errors.ts';

/**
 * The gateway's configuration: one zod parse of the environment (plus an optional `.env` file in
 * the working directory, as the Python service read it; CONTRACT.md C.1). Nothing else in the
 * code base reads `process.env`.
 *
 * Error messages name the variable and what it expects, never the value that was given: a
 * secret pasted into the wrong variable must not end up in a terminal or a log.
 */

const PREFIX = 'TOOLBRIDGE_';

/** Python (loguru) level names are accepted beside pino's own, case-insensitively. */
const LOG_LEVELS = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  success: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  fatal: 'fatal',
  silent: 'silent',
} as const;
export type LogLevel = (typeof LOG_LEVELS)[keyof typeof LOG_LEVELS];

const isLogLevelName = (name: string): name is keyof typeof LOG_LEVELS =>
  Object.hasOwn(LOG_LEVELS, name);

type Check<T> = (raw: string) => { ok: true; value: T } | { ok: false; problem: string };

/** A variable's schema: `check` turns the raw text into a value or names the problem. */
function variable<T>(what: string, check: Check<T>) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is required: ${what}` : undefined) })
    .transform((raw, ctx) => {
      const result = check(raw);
      if (result.ok) return result.value;
      ctx.issues.push({ code: 'custom', message: result.problem, input: raw });
      return z.NEVER;
    });
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const bad = (problem: string) => ({ ok: false as const, problem });

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

const integerIn =
  (min: number, max: number, what: string): Check<number> =>
  (raw) => {
    const text = raw.trim();
    const value = Number(text);
    return /^\d+$/.test(text) && value >= min && value <= max ? ok(value) : bad(`expects ${what}`);
  };

const baseUrl: Check<string> = (raw) => {
  const expected = 'expects an absolute http:// or https:// URL, e.g. http://localhost:8081';
  if (!URL.canParse(raw)) return bad(expected);
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad(expected);
  if (url.username !== '' || url.password !== '') return bad('must not embed credentials');
  if (url.search !== '' || url.hash !== '') return bad('must not carry a query or a fragment');
  // Keep a path prefix (trap 9): https://h/api + /v1/notes must reach https://h/api/v1/notes.
  return ok(url.origin + url.pathname.replace(/\/+$/, ''));
};

const tenantId: Check<string> = (raw) => {
  // h11 refused such values and Go trims them, so they can never verify (CONTRACT.md trap 8).
  if (/^[ \t]|[ \t]$/.test(raw)) return bad('must not start or end with whitespace');
  if (hasControlCharacter(raw)) return bad('must not contain control characters');
  return ok(raw);
};

const anyText: Check<string> = (raw) => ok(raw);

const headerToken: Check<string> = (raw) => {
  if (/^bearer\s/i.test(raw)) return bad("expects the bare token, without the 'Bearer ' prefix");
  if (/\s/.test(raw) || hasControlCharacter(raw)) return bad('must not contain whitespace');
  return ok(raw);
};

const host: Check<string> = (raw) =>
  /\s/.test(raw) ? bad('expects a host name or IP address, e.g. 0.0.0.0') : ok(raw);

const logLevel: Check<LogLevel> = (raw) => {
  const name = raw.trim().toLowerCase();
  return isLogLevelName(name)
    ? ok(LOG_LEVELS[name])
    : bad('expects one of TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL (or pino names)');
};

const EnvSchema = z.object({
  TOOLBRIDGE_GO_API_BASE_URL: variable('the ToolBridge Go API base URL', baseUrl).default(
    'http://localhost:8081',
  ),
  TOOLBRIDGE_TENANT_ID: variable('the tenant id sent as X-TB-Tenant-ID', tenantId),
  TOOLBRIDGE_TENANT_HEADER_SECRET: variable(
    "the HMAC secret shared with the Go API's TENANT_HEADER_SECRET",
    anyText,
  ),
  TOOLBRIDGE_JWT_TOKEN: variable('a bearer token', headerToken).optional(),
  TOOLBRIDGE_LOG_LEVEL: variable('a log level', logLevel).default('info'),
  TOOLBRIDGE_HOST: variable('a bind address', host).default('0.0.0.0'),
  TOOLBRIDGE_PORT: variable(
    'a TCP port',
    integerIn(0, 65_535, 'an integer from 0 to 65535'),
  ).default(8001),
  TOOLBRIDGE_MAX_TIMESTAMP_SKEW_SECONDS: variable(
    'seconds',
    integerIn(1, 86_400, 'a whole number of seconds from 1 to 86400'),
  ).default(300),
});

export const Config = EnvSchema.transform((env) => ({
  goApiBaseUrl: env.TOOLBRIDGE_GO_API_BASE_URL,
  tenantId: env.TOOLBRIDGE_TENANT_ID,
  tenantHeaderSecret: env.TOOLBRIDGE_TENANT_HEADER_SECRET,
  jwtToken: env.TOOLBRIDGE_JWT_TOKEN,
  logLevel: env.TOOLBRIDGE_LOG_LEVEL,
  host: env.TOOLBRIDGE_HOST,
  port: env.TOOLBRIDGE_PORT,
  maxTimestampSkewSeconds: env.TOOLBRIDGE_MAX_TIMESTAMP_SKEW_SECONDS,
}));
export type Config = z.output<typeof Config> & {
  /** Things worth telling an operator at start-up that do not stop the process. */
  readonly warnings: readonly string[];
};

export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Text of a `.env` file; its values lose to the environment's, as with pydantic-settings. */
  dotenv?: string | undefined;
}

/**
 * Collects `TOOLBRIDGE_*` variables case-insensitively. An empty value counts as unset, so a
 * variable declared but left blank (common in compose files) falls back to its default.
 */
function collect(sources: ConfigSources): { values: Record<string, string>; unknown: string[] } {
  const values: Record<string, string> = {};
  const unknown = new Set<string>();
  const layers = [sources.dotenv === undefined ? {} : parseEnv(sources.dotenv), sources.env];
  for (const layer of layers) {
    // Exact upper-case spellings are applied last so they win over other casings.
    const entries = Object.entries(layer).sort(
      ([a], [b]) => Number(a === a.toUpperCase()) - Number(b === b.toUpperCase()),
    );
    for (const [key, value] of entries) {
      const name = key.toUpperCase();
      if (!name.startsWith(PREFIX) || value === undefined || value === '') continue;
      if (CONFIG_VARIABLES.includes(name)) values[name] = value;
      else unknown.add(name);
    }
  }
  return { values, unknown: [...unknown].sort() };
}

function warningsFor(config: z.output<typeof Config>, unknown: readonly string[]): string[] {
  const warnings = unknown.map((name) => `${name} is not a known variable and is ignored`);
  const secret = config.tenantHeaderSecret;
  if (secret !== secret.trim()) {
    warnings.push(
      'TOOLBRIDGE_TENANT_HEADER_SECRET starts or ends with whitespace; it is used verbatim as the HMAC key',
    );
  }
  if (secret.length < 16) {
    warnings.push('TOOLBRIDGE_TENANT_HEADER_SECRET is shorter than 16 characters');
  }
  return warnings;
}

/** Parses the configuration or throws one `CONFIG_INVALID` error naming every bad variable. */
export function loadConfig(sources: ConfigSources): Readonly<Config> {
  const { values, unknown } = collect(sources);
  const parsed = Config.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.')} ${issue.message}`,
    );
    const hints = unknown.length > 0 ? [`  (not recognised: ${unknown.join(', ')})`] : [];
    throw new AppError(
      'CONFIG_INVALID',
      [
        `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems,
        ...hints,
      ].join('\n'),
    );
  }
  return Object.freeze({
    ...parsed.data,
    warnings: Object.freeze(warningsFor(parsed.data, unknown)),
  });
}

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
export function loadConfigFromProcess(cwd: string = process.cwd()): Readonly<Config> {
  return loadConfig({ env: process.env, dotenv: readDotenv(cwd) });
}

/** What may be shown about a configuration: everything but the secrets' values. */
export function describeConfig(config: Config): Record<string, string | number> {
  return {
    goApiBaseUrl: config.goApiBaseUrl,
    tenantId: config.tenantId,
    backendIdentity:
      config.jwtToken === undefined
        ? "the caller's Authorization header"
        : 'the shared TOOLBRIDGE_JWT_TOKEN',
    host: config.host,
    port: config.port,
    logLevel: config.logLevel,
    maxTimestampSkewSeconds: config.maxTimestampSkewSeconds,
  };
}
