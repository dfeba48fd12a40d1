/**
 * Tool parameters as data: what a parameter accepts, its default, and the JSON Schema it
 * advertises. The schemas reproduce what FastMCP generated from the Python signatures
 * (CONTRACT.md A.4, tools.json `input_schema`), plus a `description` per property and
 * `additionalProperties: false`, which states what validation already enforces.
 */

export type ParamKind =
  /** `str` */
  | 'string'
  /** `int`, optionally bounded */
  | 'integer'
  /** `bool` */
  | 'boolean'
  /** `list[str] | str`: an array, or a JSON-encoded one (CONTRACT.md trap 6) */
  | 'stringList'
  /** `dict[str, Any] | str`: an object, or a JSON-encoded one (CONTRACT.md trap 6) */
  | 'object';

export interface ParamSpec {
  readonly name: string;
  readonly kind: ParamKind;
  /** Required parameters have no default. */
  readonly required: boolean;
  /** Also accepts `null` (the Python `| None`). */
  readonly nullable: boolean;
  /** Applied when the argument is absent; `undefined` only for required parameters. */
  readonly default?: number | boolean | null;
  readonly minimum?: number;
  readonly maximum?: number;
  /** The value becomes a URL path segment (see `coerce.ts`). */
  readonly pathSegment?: boolean;
  readonly description: string;
}

type JsonSchema = Record<string, unknown>;

export const requiredText = (name: string, description: string): ParamSpec => ({
  name,
  kind: 'string',
  required: true,
  nullable: false,
  description,
});

export const optionalText = (name: string, description: string): ParamSpec => ({
  name,
  kind: 'string',
  required: false,
  nullable: true,
  default: null,
  description,
});

export const flag = (name: string, description: string): ParamSpec => ({
  name,
  kind: 'boolean',
  required: false,
  nullable: false,
  default: false,
  description,
});

export const stringList = (name: string, description: string): ParamSpec => ({
  name,
  kind: 'stringList',
  required: false,
  nullable: true,
  default: null,
  description,
});

export const optionalObject = (name: string, description: string): ParamSpec => ({
  name,
  kind: 'object',
  required: false,
  nullable: true,
  default: null,
  description,
});

// Parameters shared by many tools.

export const uidParam = (label: string): ParamSpec => ({
  ...requiredText(
    'uid',
    `The ${label}'s uid, as in its record (a UUID; anything else fails with HTTP 400).`,
  ),
  pathSegment: true,
});

export const limitParam: ParamSpec = {
  name: 'limit',
  kind: 'integer',
  required: false,
  nullable: false,
  default: 100,
  minimum: 1,
  maximum: 1000,
  description: 'Items per page, 1 to 1000.',
};

export const cursorParam = optionalText(
  'cursor',
  "The previous page's nextCursor; omit it for the first page. A cursor the API cannot read " +
    'starts again from the first page.',
);

export const ifMatchParam: ParamSpec = {
  name: 'if_match',
  kind: 'integer',
  required: false,
  nullable: true,
  default: null,
  description:
    'The version you last read: the write happens only if it is still the current one, ' +
    'otherwise the call fails with HTTP 412 Precondition Failed (not 409). Omit it to write ' +
    'unconditionally.',
};

export const tagsParam = stringList(
  'tags',
  'Tags, as an array of strings or a JSON-encoded array; an empty array is not sent.',
);

/** create_*: the escape hatch for any other key, and the upsert trap of a `uid` key (B.6). */
export const createFieldsParam = optionalObject(
  'additional_fields',
  'More payload keys (an object or a JSON-encoded object), merged last so they override the ' +
    'named fields. A "uid" key naming an existing record makes the call overwrite that record ' +
    'instead of creating one.',
);

/** update_*: a PUT keeps only what it is sent (trap 4). */
export const updateFieldsParam = optionalObject(
  'additional_fields',
  'More payload keys (an object or a JSON-encoded object), merged last so they override the ' +
    'named fields. The PUT keeps only the keys it sends: put here every other key to keep ' +
    '(for example tags).',
);

export const metadataParam = optionalObject(
  'metadata',
  'Optional context for the action (an object or a JSON-encoded object). The API answers ' +
    'HTTP 400 if it is not an object, and does not store it.',
);

export const updatesParam: ParamSpec = {
  name: 'updates',
  kind: 'object',
  required: true,
  nullable: false,
  description:
    'The top-level payload keys to set (an object or a JSON-encoded object). Other stored keys ' +
    'are kept; a nested object replaces the stored one whole; uid and sync are ignored.',
};

/** The JSON types a parameter accepts besides null: one schema, or the members of an anyOf. */
function alternatives(param: ParamSpec): JsonSchema[] {
  switch (param.kind) {
    case 'string':
      return [{ type: 'string' }];
    case 'boolean':
      return [{ type: 'boolean' }];
    case 'integer':
      return [
        {
          type: 'integer',
          ...(param.minimum === undefined ? {} : { minimum: param.minimum }),
          ...(param.maximum === undefined ? {} : { maximum: param.maximum }),
        },
      ];
    case 'stringList':
      return [{ type: 'array', items: { type: 'string' } }, { type: 'string' }];
    case 'object':
      return [{ type: 'object', additionalProperties: true }, { type: 'string' }];
  }
}

/** The property schema pydantic generated for this parameter, plus our description. */
export function paramSchema(param: ParamSpec): JsonSchema {
  const types = [...alternatives(param), ...(param.nullable ? [{ type: 'null' }] : [])];
  const [only] = types;
  return {
    ...(types.length === 1 && only !== undefined ? only : { anyOf: types }),
    ...(param.default === undefined ? {} : { default: param.default }),
    description: param.description,
  };
}

export function inputSchema(params: readonly ParamSpec[]): JsonSchema {
  const required = params.filter((param) => param.required).map((param) => param.name);
  return {
    type: 'object',
    properties: Object.fromEntries(params.map((param) => [param.name, paramSchema(param)])),
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}
