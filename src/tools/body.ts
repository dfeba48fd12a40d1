import { AppError } from '../errors.ts';
import {
  isJsonObject,
  isTruthy,
  parseJsonArgument,
  truthyJsonArgument,
  type Args,
  type JsonObject,
} from './args.ts';
import type { BodyRule } from './entity-spec.ts';

/**
 * Request bodies in Python dict insertion order (CONTRACT.md A.4). A Map keeps that order, and an
 * overriding key keeps its first position, as `dict.update` does; `Object.fromEntries` then
 * defines every key as an own property (a `__proto__` key stays data, not a prototype).
 *
 * One order JavaScript cannot keep: integer-like keys ("1", "42") always come first in an
 * object. The Go API stores the payload as a map, so no order reaches it anyway.
 */

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * One element of a sequence given to Python's `dict.update`: a pair, as a 2-element array with a
 * string key or a 2-character string. (Python would also take other hashable keys and write them
 * as JSON strings; such keys are refused here.)
 */
function pairOf(element: unknown): [string, unknown] | undefined {
  if (Array.isArray(element) && element.length === 2 && typeof element[0] === 'string') {
    return [element[0], element[1]];
  }
  if (typeof element === 'string') {
    // Python iterates a str by code points, as Array.from does.
    const chars = Array.from(element);
    if (chars.length === 2 && chars[0] !== undefined) return [chars[0], chars[1]];
  }
  return undefined;
}

/**
 * `payload.update(additional_fields)` when the raw argument is truthy, with what `dict.update`
 * accepts: an object, or a sequence of key/value pairs (`"[]"` and `'""'` are no-ops). Anything
 * else made Python fail before any HTTP call (tools.json notes), and fails here too.
 */
function mergeAdditionalFields(body: Map<string, unknown>, args: Args): void {
  const parsed = truthyJsonArgument(args, 'additional_fields');
  if (parsed === null) return;
  const fields = parsed.value;
  if (isJsonObject(fields)) {
    for (const [key, value] of Object.entries(fields)) body.set(key, value);
    return;
  }
  const sequence = typeof fields === 'string' ? Array.from(fields) : fields;
  const pairs = Array.isArray(sequence) ? sequence.map(pairOf) : [undefined];
  if (pairs.some((pair) => pair === undefined)) {
    throw new AppError(
      'INVALID_ARGUMENTS',
      `Invalid value for additional_fields: expected a JSON object or [key, value] pairs, got ${jsonTypeOf(fields)}`,
    );
  }
  for (const pair of pairs) if (pair !== undefined) body.set(pair[0], pair[1]);
}

/** Named fields by their rules, then `additional_fields` merged over them. */
export function buildBody(args: Args, rules: readonly BodyRule[]): Record<string, unknown> {
  const body = new Map<string, unknown>();
  for (const rule of rules) {
    if (rule.when === 'always') {
      body.set(rule.key, args.raw(rule.from));
    } else if (rule.when === 'truthy') {
      const value = args.raw(rule.from);
      if (isTruthy(value)) body.set(rule.key, value);
    } else {
      const parsed = truthyJsonArgument(args, rule.from);
      if (parsed !== null) body.set(rule.key, parsed.value);
    }
  }
  mergeAdditionalFields(body, args);
  return Object.fromEntries(body);
}

/**
 * The PATCH body: `updates` verbatim. A string is always parsed, with no truthiness test, and a
 * result that is not an object failed locally in Python (tools.json notes).
 */
export function patchBody(args: Args): JsonObject {
  const raw = args.raw('updates');
  const updates = typeof raw === 'string' ? parseJsonArgument('updates', raw) : raw;
  if (!isJsonObject(updates)) {
    throw new AppError(
      'INVALID_ARGUMENTS',
      `Invalid value for updates: expected a JSON object, got ${jsonTypeOf(updates)}`,
    );
  }
  return updates;
}

/** The process body: `{action}`, plus `metadata` (parsed, not type-checked) when truthy. */
export function processBody(args: Args): Record<string, unknown> {
  const metadata = truthyJsonArgument(args, 'metadata');
  return {
    action: args.text('action'),
    ...(metadata === null ? {} : { metadata: metadata.value }),
  };
}
