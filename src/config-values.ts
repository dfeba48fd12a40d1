import { z } from 'zod';
import { parseRateLimits, type RateRule } from './limits/rules.ts';

/**
 * The value checks behind the configuration schema: each turns a variable's raw text into a
 * value or names the problem, never repeating the value (it may be a secret in the wrong place).
 */

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

export type Check<T> = (raw: string) => { ok: true; value: T } | { ok: false; problem: string };

/** A variable's schema: `check` turns the raw text into a value or names the problem. */
export function variable<T>(what: string, check: Check<T>) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is required: ${what}` : undefined) })
    .transform((raw, ctx) => {
      const result = check(raw);
      if (result.ok) return result.value;
      ctx.issues.push({ code: 'custom', message: result.problem, input: raw });
      return z.NEVER;
    });
}

export const ok = <T>(value: T) => ({ ok: true as const, value });
export const bad = (problem: string) => ({ ok: false as const, problem });

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

export const integerIn =
  (min: number, max: number, what: string): Check<number> =>
  (raw) => {
    const text = raw.trim();
    const value = Number(text);
    return /^\d+$/.test(text) && value >= min && value <= max ? ok(value) : bad(`expects ${what}`);
  };

export const wholeSeconds = (min: number, max: number): Check<number> =>
  integerIn(min, max, `a whole number of seconds from ${min} to ${max}`);

export const baseUrl: Check<string> = (raw) => {
  const expected = 'expects an absolute http:// or https:// URL, e.g. http://localhost:8081';
  if (!URL.canParse(raw)) return bad(expected);
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad(expected);
  if (url.username !== '' || url.password !== '') return bad('must not embed credentials');
  if (url.search !== '' || url.hash !== '') return bad('must not carry a query or a fragment');
  // Keep a path prefix (trap 9): https://h/api + /v1/notes must reach https://h/api/v1/notes.
  return ok(url.origin + url.pathname.replace(/\/+$/, ''));
};

/** A Redis URL; a password in it is allowed (the value is never shown, only its host:port). */
export const redisUrl: Check<string> = (raw) => {
  const expected = 'expects a redis:// or rediss:// URL, e.g. redis://redis.internal:6379';
  if (!URL.canParse(raw)) return bad(expected);
  const url = new URL(raw);
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    return bad(expected);
  }
  if (!/^(\/\d*)?$/.test(url.pathname)) return bad('expects no path but a database number');
  if (url.search !== '' || url.hash !== '') return bad('must not carry a query or a fragment');
  return ok(raw);
};

export const tenantId: Check<string> = (raw) => {
  // h11 refused such values and Go trims them, so they can never verify (CONTRACT.md trap 8).
  if (/^[ \t]|[ \t]$/.test(raw)) return bad('must not start or end with whitespace');
  if (hasControlCharacter(raw)) return bad('must not contain control characters');
  return ok(raw);
};

export const anyText: Check<string> = (raw) => ok(raw);

export const headerToken: Check<string> = (raw) => {
  if (/^bearer\s/i.test(raw)) return bad("expects the bare token, without the 'Bearer ' prefix");
  if (/\s/.test(raw) || hasControlCharacter(raw)) return bad('must not contain whitespace');
  return ok(raw);
};

export const host: Check<string> = (raw) =>
  /\s/.test(raw) ? bad('expects a host name or IP address, e.g. 0.0.0.0') : ok(raw);

export const logLevel: Check<LogLevel> = (raw) => {
  const name = raw.trim().toLowerCase();
  return isLogLevelName(name)
    ? ok(LOG_LEVELS[name])
    : bad('expects one of TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL (or pino names)');
};

/** A comma-separated list of absolute http(s) origins, e.g. `https://claude.ai,http://localhost:6274`. */
/** Host names (no scheme or port), comma-separated, lower-cased as the Host check compares them. */
export const hostList: Check<string[]> = (raw) => {
  const hosts = raw
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
  for (const host of hosts) {
    const url = URL.canParse(`http://${host}`) ? new URL(`http://${host}`) : undefined;
    if (url?.hostname !== host) {
      return bad('expects comma-separated host names like mcp.example.com (no scheme or port)');
    }
  }
  return ok(hosts);
};

export const originList: Check<string[]> = (raw) => {
  const origins = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const origin of origins) {
    if (!URL.canParse(origin))
      return bad('expects comma-separated origins like https://app.example.com');
    const url = new URL(origin);
    if (
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.origin !== origin.replace(/\/$/, '')
    ) {
      return bad(
        'expects comma-separated origins like https://app.example.com (scheme, host, port only)',
      );
    }
  }
  return ok(origins.map((origin) => new URL(origin).origin));
};

export const oneOf =
  <const T extends string>(choices: readonly T[]): Check<T> =>
  (raw) => {
    const value = raw.trim().toLowerCase();
    const found = choices.find((choice) => choice === value);
    return found === undefined ? bad(`expects one of ${choices.join(', ')}`) : ok(found);
  };

/** A JWT claim name: letters, digits, `_`, `-`, `.`, `:` or `/`. */
export const claimName: Check<string> = (raw) =>
  /^[\w.:/-]+$/.test(raw) ? ok(raw) : bad('expects a claim name, e.g. tenant_id');

/** Headers with a meaning already: HTTP's own, the MCP transport's, the signed tenant headers. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'origin',
  'connection',
  'content-type',
  'content-length',
  'transfer-encoding',
]);

/** An HTTP header name (RFC 9110 token), lower-cased as Node presents request headers. */
export const headerName: Check<string> = (raw) => {
  const name = raw.trim().toLowerCase();
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$/.test(name)) {
    return bad('expects an HTTP header name, e.g. x-toolbridge-user');
  }
  if (RESERVED_HEADERS.has(name) || name.startsWith('mcp-') || name.startsWith('x-tb-')) {
    return bad('names a header that already means something else; choose e.g. x-toolbridge-user');
  }
  return ok(name);
};

/** RFC 6749 §3.3 scope-token: printable ASCII but the space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** One OAuth scope, e.g. `toolbridge:write`. */
export const scopeName: Check<string> = (raw) => {
  const scope = raw.trim();
  return SCOPE_TOKEN.test(scope)
    ? ok(scope)
    : bad('expects one OAuth scope, e.g. toolbridge:write (no spaces, quotes or backslashes)');
};

/** OAuth scopes separated by spaces or commas, e.g. `toolbridge mcp:use`. */
export const scopeList: Check<string[]> = (raw) => {
  const scopes = raw.split(/[\s,]+/).filter((item) => item !== '');
  if (scopes.length === 0 || !scopes.every((scope) => SCOPE_TOKEN.test(scope))) {
    return bad('expects OAuth scopes separated by spaces or commas, e.g. toolbridge mcp:use');
  }
  return ok([...new Set(scopes)]);
};

/**
 * Issuer identifiers, comma-separated, each kept exactly as written: a client compares the
 * issuer in the authorization server's metadata with it character for character (RFC 8414 §3.3),
 * so a trailing slash is significant (Auth0's issuers end with one).
 */
export const issuerList: Check<string[]> = (raw) => {
  const issuers = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const expected = 'expects comma-separated issuer URLs like https://auth.example.com';
  if (issuers.length === 0) return bad(expected);
  for (const issuer of issuers) {
    if (!URL.canParse(issuer)) return bad(expected);
    const url = new URL(issuer);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad(expected);
    if (url.search !== '' || url.hash !== '') return bad('must not carry a query or a fragment');
    if (url.username !== '' || url.password !== '') return bad('must not embed credentials');
  }
  return ok([...new Set(issuers)]);
};
/** TOOLBRIDGE_RATE_LIMITS: comma-separated token-bucket rules (grammar in limits/rules.ts). */
export const rateLimits: Check<readonly RateRule[]> = parseRateLimits;
