/**
 * tools.json (the contract's copy in test/fixtures), narrowed to what the end-to-end tests use,
 * and the request each data tool must make, derived from its `http` mapping.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const parseJson = (text: string): unknown => JSON.parse(text);

const FixtureTool = z.object({
  name: z.string(),
  params: z.array(
    z.object({ name: z.string(), required: z.boolean(), default: z.unknown().optional() }),
  ),
  http: z
    .object({
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
      path: z.string(),
      query: z.array(z.object({ param: z.string(), name: z.string(), when: z.string() })),
      body: z.object({ content_type: z.string(), keys: z.array(z.string()) }).nullable(),
      if_match: z.string().nullable(),
    })
    .nullable(),
});
export type FixtureTool = z.infer<typeof FixtureTool>;

export const TOOLS: readonly FixtureTool[] = z
  .array(FixtureTool)
  .parse(parseJson(readFileSync(resolve(import.meta.dirname, '../fixtures/tools.json'), 'utf8')));

export const TOOL_NAMES: readonly string[] = TOOLS.map((tool) => tool.name);

export function fixtureTool(name: string): FixtureTool {
  const tool = TOOLS.find((candidate) => candidate.name === name);
  if (tool === undefined) throw new Error(`no tool ${name} in tools.json`);
  return tool;
}

/** Python truthiness for JSON values. */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') {
    return false;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

const JsonObject = z.record(z.string(), z.unknown());

/** `parentType` → `parent_type`: the body key's parameter. */
const paramOf = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function defaultOf(tool: FixtureTool, param: string): unknown {
  return tool.params.find((candidate) => candidate.name === param)?.default;
}

export interface ExpectedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: readonly (readonly [string, string])[];
  /** Body as it must arrive (keys in order); undefined: no body at all. */
  readonly body: Record<string, unknown> | undefined;
  readonly ifMatch: string | undefined;
}

/** The upstream request tools.json prescribes for `args` (given as native JSON values). */
export function expectedRequest(tool: FixtureTool, args: Record<string, unknown>): ExpectedRequest {
  const http = tool.http;
  if (http === null) throw new Error(`${tool.name} makes no HTTP call`);
  const uid = args['uid'];
  const path = http.path.replace('{uid}', encodeURIComponent(typeof uid === 'string' ? uid : ''));

  const query: [string, string][] = [];
  for (const entry of http.query) {
    const value = args[entry.param] ?? defaultOf(tool, entry.param);
    if (entry.when === 'always') query.push([entry.name, String(value)]);
    else if (entry.when === 'cursor is truthy') {
      if (isTruthy(value)) query.push([entry.name, String(value)]);
    } else if (entry.when === 'include_deleted is true') {
      if (value === true) query.push([entry.name, 'true']);
    } else throw new Error(`unknown query rule '${entry.when}' in tools.json`);
  }

  let body: Record<string, unknown> | undefined;
  if (http.body !== null) {
    const entries = new Map<string, unknown>();
    for (const key of http.body.keys) {
      if (key === '<additional_fields>*') {
        const extra = JsonObject.optional().parse(args['additional_fields']) ?? {};
        for (const [name, value] of Object.entries(extra)) entries.set(name, value);
      } else if (key === '<caller-defined>') {
        for (const [name, value] of Object.entries(JsonObject.parse(args['updates']))) {
          entries.set(name, value);
        }
      } else {
        const optional = key.endsWith('?');
        const name = optional ? key.slice(0, -1) : key;
        const param = paramOf(name);
        const value = args[param] ?? defaultOf(tool, param);
        if (!optional || isTruthy(value)) entries.set(name, value);
      }
    }
    body = Object.fromEntries(entries);
  }

  const ifMatch = http.if_match === null ? undefined : z.number().nullish().parse(args['if_match']);
  return {
    method: http.method,
    path,
    query,
    body,
    ifMatch: ifMatch === undefined || ifMatch === null ? undefined : String(ifMatch),
  };
}
