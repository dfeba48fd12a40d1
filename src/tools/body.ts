import { AppError } from '../errors.ts';
import {
  isJsonObject,
  isTruthy,
  parseJsonArgument,
  truthyJsonArgument,
  type Args,
  type JsonObject,
} from './args.ts';
import type { BodyRule } from './entities.ts';

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
 * `payload.update(additional_fields)` when the raw argument is truthy. A JSON string that decodes
 * to something other than an object made Python fail before any HTTP call (tools.json notes), with
 * one exception kept here: `"[]"` is a no-op, since updating a dict from an empty list is.
 */
function mergeAdditionalFields(body: Map<string, unknown>, args: Args): void {
  const parsed = truthyJsonArgument(args, 'additional_fields');
  if (parsed === null) return;
  const fields = parsed.value;
  if (Array.isArray(fields) && fields.length === 0) return;
  if (!isJsonObject(fields)) {
    throw new AppError(
      'INVALID_ARGUMENTS',
      `Invalid value for additional_fields: expected a JSON object, got ${jsonTypeOf(fields)}`,
    );
  }
  for (const [key, value] of Object.entries(fields)) body.set(key, value);
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
