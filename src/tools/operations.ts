import type { UpstreamRequest } from '../proxy/types.ts';
import { isTruthy, type Args } from './args.ts';
import { buildBody, patchBody, processBody } from './body.ts';
import type { BodyRule, EntitySpec } from './entity-spec.ts';
import {
  createFieldsParam,
  cursorParam,
  flag,
  ifMatchParam,
  limitParam,
  metadataParam,
  requiredText,
  uidParam,
  updateFieldsParam,
  updatesParam,
  type ParamSpec,
} from './params.ts';

/**
 * The eight operations every entity has (CONTRACT.md A.4), each written once: its parameters,
 * the HTTP request it makes and the shape of its answer. Its description (descriptions.ts) and
 * annotations (annotations.ts) are tables keyed by the verb.
 */
export type OperationVerb =
  'list' | 'get' | 'create' | 'update' | 'patch' | 'delete' | 'archive' | 'process';

export interface Operation {
  /** Keys the per-operation tables (annotations), so none can be left out for a new one. */
  readonly verb: OperationVerb;
  readonly toolName: (entity: EntitySpec) => string;
  readonly params: (entity: EntitySpec) => readonly ParamSpec[];
  readonly returns: 'item' | 'list';
  /** Named-parameter body keys, for the operations that build a body from them. */
  readonly bodyRules?: (entity: EntitySpec) => readonly BodyRule[];
  readonly request: (entity: EntitySpec, args: Args) => UpstreamRequest;
}

const collectionPath = (entity: EntitySpec): string => `/v1/${entity.collection}`;

/**
 * The characters a path segment may carry as they are (RFC 3986 pchar) that encodeURIComponent
 * escapes anyway: `:` `@` and the sub-delimiters `$ & + , ; =`.
 */
const SEGMENT_SAFE = /%(3A|40|24|26|2B|2C|3B|3D)/g;

/**
 * Python formatted the uid straight into the path (A.2 step 6), so a `/` or `?` in it changed the
 * route; percent-encoding keeps it one segment (dot segments are refused in `coerce.ts`). What a
 * segment may carry stays as Python sent it: a `urn:uuid:` uid, which the Go API accepts, must
 * not arrive as `urn%3Auuid%3A…`, which Go's router would hand to uuid.Parse as it is.
 */
const itemPath = (entity: EntitySpec, args: Args, suffix = ''): string =>
  `${collectionPath(entity)}/${encodeURIComponent(args.text('uid')).replace(SEGMENT_SAFE, decodeURIComponent)}${suffix}`;

/** `includeDeleted=true` only when true; never sent as false. */
const includeDeletedQuery = (args: Args): [string, string][] =>
  args.flag('include_deleted') ? [['includeDeleted', 'true']] : [];

const named = (name: string) => (entity: EntitySpec) => `${name}_${entity.stem}`;

const list: Operation = {
  verb: 'list',
  toolName: (entity) => `list_${entity.collection}`,
  params: (entity) => [
    limitParam,
    cursorParam,
    flag('include_deleted', `Also list soft-deleted ${entity.plural} (deletedAt set).`),
  ],
  returns: 'list',
  request: (entity, args) => {
    const cursor = args.optionalText('cursor');
    return {
      method: 'GET',
      path: collectionPath(entity),
      query: [
        ['limit', String(args.integer('limit'))],
        ...(cursor !== null && isTruthy(cursor) ? [['cursor', cursor] as const] : []),
        ...includeDeletedQuery(args),
      ],
    };
  },
};

const get: Operation = {
  verb: 'get',
  toolName: named('get'),
  params: (entity) => [
    uidParam(entity.label),
    flag(
      'include_deleted',
      `Return the ${entity.label} even if it is soft-deleted, instead of failing with HTTP 410.`,
    ),
  ],
  returns: 'item',
  request: (entity, args) => ({
    method: 'GET',
    path: itemPath(entity, args),
    query: includeDeletedQuery(args),
  }),
};

const createRules = (entity: EntitySpec): readonly BodyRule[] => entity.createBody;
const updateRules = (entity: EntitySpec): readonly BodyRule[] => [
  { key: 'uid', from: 'uid', when: 'always' },
  ...entity.updateBody,
];

const create: Operation = {
  verb: 'create',
  toolName: named('create'),
  params: (entity) => [...entity.createParams, createFieldsParam],
  returns: 'item',
  bodyRules: createRules,
  request: (entity, args) => ({
    method: 'POST',
    path: collectionPath(entity),
    body: buildBody(args, createRules(entity)),
  }),
};

const update: Operation = {
  verb: 'update',
  toolName: named('update'),
  params: (entity) => [
    uidParam(entity.label),
    ...entity.updateParams,
    ifMatchParam,
    updateFieldsParam,
  ],
  returns: 'item',
  bodyRules: updateRules,
  request: (entity, args) => {
    const ifMatch = args.optionalInteger('if_match');
    return {
      method: 'PUT',
      path: itemPath(entity, args),
      body: buildBody(args, updateRules(entity)),
      // Sent whenever given, 0 included (A.2 step 6).
      ...(ifMatch === null ? {} : { ifMatch }),
    };
  },
};

const patch: Operation = {
  verb: 'patch',
  toolName: named('patch'),
  params: (entity) => [uidParam(entity.label), updatesParam],
  returns: 'item',
  request: (entity, args) => ({
    method: 'PATCH',
    path: itemPath(entity, args),
    body: patchBody(args),
  }),
};

const remove: Operation = {
  verb: 'delete',
  toolName: named('delete'),
  params: (entity) => [uidParam(entity.label)],
  returns: 'item',
  request: (entity, args) => ({ method: 'DELETE', path: itemPath(entity, args) }),
};

const archive: Operation = {
  verb: 'archive',
  toolName: named('archive'),
  params: (entity) => [uidParam(entity.label)],
  returns: 'item',
  request: (entity, args) => ({
    method: 'POST',
    path: itemPath(entity, args, '/archive'),
    body: {},
  }),
};

const processAction: Operation = {
  verb: 'process',
  toolName: named('process'),
  params: (entity) => [
    uidParam(entity.label),
    requiredText(
      'action',
      `One of: ${entity.actions.map(([action]) => action).join(', ')}. Anything else fails ` +
        'with HTTP 400.',
    ),
    metadataParam,
  ],
  returns: 'item',
  request: (entity, args) => ({
    method: 'POST',
    path: itemPath(entity, args, '/process'),
    body: processBody(args),
  }),
};

/** In the order the Python modules registered them (tools/list order). */
export const OPERATIONS: readonly Operation[] = [
  list,
  get,
  create,
  update,
  patch,
  remove,
  archive,
  processAction,
];
