import { AppError } from '../errors.ts';

/** A JSON object as it arrives from a client or the API: trusted to be plain, keys unknown. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** A validated argument value: what `coerce.ts` produces for each parameter kind. */
export type ArgValue = string | number | boolean | null | readonly string[] | JsonObject;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validated arguments, read by name and type. A mismatch here is a bug in the tool table (the
 * value was validated against the parameter's kind), hence an exception rather than a result.
 */
export interface Args {
  /** The value as validated, before any truthiness or JSON-string handling. */
  raw(name: string): ArgValue;
  text(name: string): string;
  optionalText(name: string): string | null;
  integer(name: string): number;
  optionalInteger(name: string): number | null;
  flag(name: string): boolean;
}

export function readArgs(values: ReadonlyMap<string, ArgValue>): Args {
  const raw = (name: string): ArgValue => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`tool table bug: no argument ${name}`);
    return value;
  };
  const typed = <T extends ArgValue>(name: string, guard: (value: ArgValue) => value is T): T => {
    const value = raw(name);
    if (!guard(value)) throw new Error(`tool table bug: argument ${name} has the wrong type`);
    return value;
  };
  const isString = (value: ArgValue): value is string => typeof value === 'string';
  const isNumber = (value: ArgValue): value is number => typeof value === 'number';
  return {
    raw,
    text: (name) => typed(name, isString),
    optionalText: (name) => (raw(name) === null ? null : typed(name, isString)),
    integer: (name) => typed(name, isNumber),
    optionalInteger: (name) => (raw(name) === null ? null : typed(name, isNumber)),
    flag: (name) => typed(name, (value): value is boolean => typeof value === 'boolean'),
  };
}

/** Python truthiness, which decides whether an optional value is sent (CONTRACT.md A.4). */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') {
    return false;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (isJsonObject(value)) return Object.keys(value).length > 0;
  return true;
}

const parseJson = (text: string): unknown => JSON.parse(text);

/**
 * How deeply objects and arrays may nest inside one argument. ToolBridge payloads are a few
 * levels deep; without a limit a deep value overflowed the stack when the request body was
 * serialised (an "internal error"), or was forwarded for the API to deal with.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether objects and arrays nest deeper than `max` in `value` (walked without recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

export const TOO_DEEP = `objects and arrays may nest at most ${MAX_JSON_DEPTH} levels deep`;

/**
 * `json.loads` of a JSON-string argument (CONTRACT.md A.4, 41d3a93). The failure text is the
 * Python one with the JSON parser's reason; it becomes a tool error before any HTTP call.
 */
export function parseJsonArgument(name: string, text: string): unknown {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'not valid JSON';
    throw new AppError('INVALID_ARGUMENTS', `Invalid JSON string for ${name}: ${reason}`);
  }
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
    throw new AppError('INVALID_ARGUMENTS', `Invalid JSON string for ${name}: ${TOO_DEEP}`);
  }
  return value;
}

/**
 * `if raw: if isinstance(raw, str): raw = json.loads(raw)`: truthiness is tested on the raw
 * argument, so `[]` is not sent while `"[]"` is, and `"null"` is sent as null (tools.json notes).
 */
export function truthyJsonArgument(args: Args, name: string): { readonly value: unknown } | null {
  const raw = args.raw(name);
  if (!isTruthy(raw)) return null;
  return { value: typeof raw === 'string' ? parseJsonArgument(name, raw) : raw };
}
