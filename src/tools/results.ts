import { z } from 'zod';
import { AppError } from '../errors.ts';
import { isJsonObject, type JsonObject } from './args.ts';

/**
 * What a tool returns: the API's item (or page of items) re-shaped as the Python models
 * serialized it, by alias with explicit nulls (CONTRACT.md trap 2, A.2 step 9), and the output
 * schemas pydantic generated for them (tools.json `response.output_schema`).
 */

/** The API item, checked just enough to shape it; unknown top-level keys are dropped. */
const RestItem = z.object({
  uid: z.string(),
  version: z.int(),
  updatedAt: z.string(),
  deletedAt: z.string().nullish(),
  // Not z.record: the payload passes through untouched, without being copied.
  payload: z.custom<JsonObject>(isJsonObject, 'Invalid input: expected object'),
});
type RestItem = z.infer<typeof RestItem>;

const RestList = z.object({
  items: z.array(RestItem),
  nextCursor: z.string().nullish(),
});

export type ResultShape = 'item' | 'list';

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  // Zod's messages name the expected and received types, never the received values.
  const issues = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`);
  throw new AppError(
    'UPSTREAM_BAD_RESPONSE',
    `The ToolBridge API returned an unexpected response (${issues.join('; ')})`,
  );
}

const shapeItem = (item: RestItem): Record<string, unknown> => ({
  uid: item.uid,
  version: item.version,
  updatedAt: item.updatedAt,
  deletedAt: item.deletedAt ?? null,
  payload: item.payload,
});

/** The tool's structuredContent for an API answer; a shape mismatch is UPSTREAM_BAD_RESPONSE. */
export function shapeResult(shape: ResultShape, body: unknown): Record<string, unknown> {
  if (shape === 'item') return shapeItem(parse(RestItem, body));
  const page = parse(RestList, body);
  return { items: page.items.map(shapeItem), nextCursor: page.nextCursor ?? null };
}

const nullableString = () => ({ anyOf: [{ type: 'string' }, { type: 'null' }], default: null });

function itemSchema(): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      uid: { type: 'string' },
      version: { type: 'integer' },
      updatedAt: { type: 'string' },
      deletedAt: nullableString(),
      payload: { type: 'object', additionalProperties: true },
    },
    required: ['uid', 'version', 'updatedAt', 'payload'],
  };
}

/** The output schema of an item tool, or of a list tool (its item under `$defs.<model>`). */
export function outputSchema(shape: ResultShape, model: string): Record<string, unknown> {
  if (shape === 'item') return itemSchema();
  return {
    type: 'object',
    $defs: { [model]: itemSchema() },
    properties: {
      items: { type: 'array', items: { $ref: `#/$defs/${model}` } },
      nextCursor: nullableString(),
    },
    required: ['items'],
  };
}
