import { isJsonObject, MAX_JSON_DEPTH, nestsDeeperThan, TOO_DEEP, type ArgValue } from './args.ts';
import type { ParamSpec } from './params.ts';

/**
 * Argument validation as FastMCP did it: pydantic v2 in lax mode over the tool's signature
 * (CONTRACT.md A.2). The rules below are pydantic-core's, for the inputs JSON can carry:
 *
 * - int: an int; a bool (true → 1); a float with no fractional part; a string that, trimmed of
 *   whitespace, is an optional sign, digits with single `_` between them and optionally `.`
 *   followed only by zeros ("50", " 50 ", "+5", "1_000", "3.0"). Then `ge`/`le`.
 * - bool: a bool; the numbers 0 and 1; the strings "0", "1" and, ignoring ASCII case, "f", "n",
 *   "no", "off", "false", "t", "y", "on", "yes", "true" (not trimmed).
 * - str: strings only; numbers and bools are not turned into strings.
 * - list[str] | str: an array whose items are all strings, or a string.
 * - dict | str: an object, or a string.
 * - `None` only where the signature says `| None`; unknown names are refused.
 *
 * Two deliberate limits: integers must be exactly representable (|n| ≤ 2^53 − 1) so that what
 * we send is what was asked, and a path segment may not be "", "." or ".." (see `pathSegment`).
 */

type Coerced =
  { readonly ok: true; readonly value: ArgValue } | { readonly ok: false; readonly reason: string };

const ok = (value: ArgValue): Coerced => ({ ok: true, value });
const bad = (reason: string): Coerced => ({ ok: false, reason });

/** Rust's `str::trim` (Unicode White_Space), which pydantic-core applies before parsing ints. */
const WHITESPACE =
  '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const EDGE_WHITESPACE = new RegExp(`^${WHITESPACE}+|${WHITESPACE}+$`, 'g');
const INTEGER_TEXT = /^[+-]?\d+(?:_\d+)*(?:\.0+)?$/;
const FALSE_WORDS = new Set(['0', 'f', 'n', 'no', 'off', 'false']);
const TRUE_WORDS = new Set(['1', 't', 'y', 'on', 'yes', 'true']);

/** A short, quoted rendering of what the caller sent, for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const chars = Array.from(value);
    return JSON.stringify(chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function toInteger(raw: unknown): number | string {
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return 'must be a finite number';
    return Number.isInteger(raw) ? raw : 'must be an integer, not a fractional number';
  }
  if (typeof raw !== 'string') return 'must be an integer';
  const text = raw.replace(EDGE_WHITESPACE, '');
  if (!INTEGER_TEXT.test(text)) return 'must be an integer';
  return Number(text.replace(/_/g, '').replace(/\.0+$/, ''));
}

function coerceInteger(param: ParamSpec, raw: unknown): Coerced {
  const value = toInteger(raw);
  if (typeof value === 'string') return bad(value);
  if (!Number.isSafeInteger(value)) {
    return bad(`must be between ${-Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
  }
  if (param.minimum !== undefined && value < param.minimum) {
    return bad(`must be at least ${param.minimum}`);
  }
  if (param.maximum !== undefined && value > param.maximum) {
    return bad(`must be at most ${param.maximum}`);
  }
  return ok(value === 0 ? 0 : value); // no -0 from "-0"
}

function coerceBoolean(raw: unknown): Coerced {
  if (typeof raw === 'boolean') return ok(raw);
  if (raw === 0 || raw === 1) return ok(raw === 1);
  if (typeof raw === 'string') {
    const word = raw.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
    if (TRUE_WORDS.has(word)) return ok(true);
    if (FALSE_WORDS.has(word)) return ok(false);
  }
  return bad('must be a boolean (true/false, 1/0, or a word such as "true", "yes", "off")');
}

function coerceStringList(raw: unknown): Coerced {
  if (typeof raw === 'string') return raw.isWellFormed() ? ok(raw) : bad(NOT_UNICODE);
  if (!Array.isArray(raw)) return bad('must be an array of strings or a JSON-encoded array');
  const items: string[] = [];
  for (const [index, item] of raw.entries()) {
    if (typeof item !== 'string') {
      return bad(`must be an array of strings; item ${index} is ${describeValue(item)}`);
    }
    if (!item.isWellFormed()) return bad(`item ${index} ${NOT_UNICODE}`);
    items.push(item);
  }
  return ok(items);
}

/** A lone UTF-16 surrogate has no UTF-8 form: it cannot be sent, in a URL or a body. */
const NOT_UNICODE = 'must be valid Unicode text (it holds a lone UTF-16 surrogate)';

function coerceValue(param: ParamSpec, raw: unknown): Coerced {
  switch (param.kind) {
    case 'string':
      if (typeof raw !== 'string') return bad('must be a string');
      return raw.isWellFormed() ? ok(raw) : bad(NOT_UNICODE);
    case 'integer':
      return coerceInteger(param, raw);
    case 'boolean':
      return coerceBoolean(raw);
    case 'stringList':
      return coerceStringList(raw);
    case 'object':
      if (typeof raw === 'string') return ok(raw); // parsed, and its depth checked, when used
      if (!isJsonObject(raw)) return bad('must be an object or a JSON-encoded object');
      return nestsDeeperThan(raw, MAX_JSON_DEPTH) ? bad(TOO_DEEP) : ok(raw);
  }
}

/**
 * A uid is formatted into the URL path. Percent-encoding (done by the request builder) keeps
 * `/` and `?` inside the segment, but "." and ".." would still be resolved as dot segments, and ""
 * would address the collection; none of them is a UUID, so the API could only refuse them.
 */
const DOT_SEGMENTS = new Set(['', '.', '..']);

export function coerceArgument(param: ParamSpec, raw: unknown): Coerced {
  if (raw === null && param.nullable) return ok(null);
  const result = coerceValue(param, raw);
  if (result.ok && param.pathSegment === true && typeof result.value === 'string') {
    if (DOT_SEGMENTS.has(result.value)) return bad('must not be empty, "." or ".."');
  }
  return result;
}

export type Validation =
  | { readonly ok: true; readonly values: ReadonlyMap<string, ArgValue> }
  | { readonly ok: false; readonly message: string };

/** Validates a whole `arguments` object; every problem is reported, not just the first. */
export function validateArguments(
  toolName: string,
  params: readonly ParamSpec[],
  args: unknown,
): Validation {
  const fail = (problems: readonly string[]): Validation => ({
    ok: false,
    message: `Invalid arguments for ${toolName}: ${problems.join('; ')}`,
  });
  const given = args ?? {};
  if (!isJsonObject(given))
    return fail([`arguments must be an object (got ${describeValue(given)})`]);

  const problems: string[] = [];
  const values = new Map<string, ArgValue>();
  for (const param of params) {
    const raw = Object.hasOwn(given, param.name) ? given[param.name] : undefined;
    if (raw === undefined) {
      if (param.required) problems.push(`${param.name}: is required`);
      else values.set(param.name, param.default ?? null);
      continue;
    }
    const result = coerceArgument(param, raw);
    if (result.ok) values.set(param.name, result.value);
    else problems.push(`${param.name}: ${result.reason} (got ${describeValue(raw)})`);
  }

  const known = new Set(params.map((param) => param.name));
  const accepted =
    params.length === 0
      ? 'this tool takes no arguments'
      : `accepted: ${params.map((param) => param.name).join(', ')}`;
  for (const [name, raw] of Object.entries(given)) {
    if (!known.has(name) && raw !== undefined) {
      problems.push(`${name}: unexpected argument (${accepted})`);
    }
  }
  return problems.length > 0 ? fail(problems) : { ok: true, values };
}
