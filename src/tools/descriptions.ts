import type { BodyRule, EntitySpec } from './entity-spec.ts';
import type { OperationVerb } from './operations.ts';

/**
 * Tool descriptions, generated from the entity table: a model picks a tool and fills its
 * arguments from this text alone, so each one says what the call does to the stored record,
 * what comes back and which HTTP statuses to expect. Every statement follows CONTRACT.md B.6
 * (and the embedded API in src/backend/, which answers the same); the statuses are listed in
 * the order the API checks them.
 */

const RECORD = '{uid, version, updatedAt, deletedAt, payload}';

/** update_* sends the uid first (operations.ts), then the entity's own keys. */
const UID: BodyRule = { key: 'uid', from: 'uid', when: 'always' };

/** "a", "a and b", "a, b and c" */
function spoken(words: readonly string[], conjunction = 'and'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words.at(-1) ?? ''}`;
}

/** The body keys a call sends: the always-sent ones, then those sent only when non-empty. */
function payloadKeys(rules: readonly BodyRule[]): string {
  const sent = rules.filter((rule) => rule.when === 'always').map((rule) => rule.key);
  const optional = rules.filter((rule) => rule.when !== 'always').map((rule) => rule.key);
  const rest = optional.length === 0 ? '' : `, plus ${spoken(optional)} when given and not empty`;
  return `${spoken(sent)}${rest}`;
}

// Failures. A failed call is an isError tool result whose text carries the API's status line
// and error message (src/proxy/errors.ts), so the statuses are what a caller can act on.

function failures(statuses: readonly string[]): string {
  return ` API failures come back as error results naming the HTTP status: ${statuses.join('; ')}.`;
}

const BAD_UID = '400 if uid is not a UUID';
const notFound = (entity: EntitySpec) => `404 if you have no ${entity.label} with that uid`;
const gone = (entity: EntitySpec, more = '') => `410 if the ${entity.label} is soft-deleted${more}`;
// B.5: a per-user token bucket; the 429 message says when to retry.
const RATE_LIMITED =
  '429 when your request rate is over the limit (the message says how many seconds to wait)';

/** B.6 parent validation: create checks the link the caller sends... */
const parentOnCreate = (entity: EntitySpec): string[] =>
  entity.parent === undefined
    ? []
    : ['500 if that check fails (the API reports it as 500, not 400)'];

/** ...and every later write but delete checks the stored link again. */
const parentOnWrite = (entity: EntitySpec): string[] =>
  entity.parent === undefined
    ? []
    : [
        `500 if the link in ${entity.parent.keys} no longer leads to a live ` +
          `${entity.parent.target} (every write but delete checks it again, so this happens ` +
          `once the ${entity.parent.target} is deleted)`,
      ];

const RECORD_FIELDS =
  'uid is its UUID; version starts at 1 and goes up by one with every change (the value to ' +
  'pass as if_match); updatedAt and deletedAt are RFC 3339 UTC times, deletedAt null unless ' +
  "it is soft-deleted; payload holds the stored fields plus the server's own uid, updatedTs " +
  'and sync keys';

const changed = ` Returns the record ${RECORD}, version one higher.`;

const list = (entity: EntitySpec): string =>
  `List your ${entity.plural}, one page per call, oldest-modified first (by updatedAt, then ` +
  `uid). Soft-deleted ${entity.plural} are left out unless include_deleted is true.` +
  `${entity.listNote} To read them all, call again with cursor set to the nextCursor just ` +
  `returned, until a page comes back with no items (every non-empty page has a nextCursor, ` +
  `the last one too). A ${entity.label} changed while you page moves to the end, so it can ` +
  `come up twice. Returns {items, nextCursor}: items are records ${RECORD} (see ` +
  `get_${entity.stem}); nextCursor is a string, or null when items is empty.` +
  failures([RATE_LIMITED]);

const get = (entity: EntitySpec): string =>
  `Get one ${entity.label} by its uid. Returns the record ${RECORD}: ${RECORD_FIELDS}.` +
  failures([
    BAD_UID,
    notFound(entity),
    gone(entity, ' (pass include_deleted: true to read it anyway)'),
    RATE_LIMITED,
  ]);

const create = (entity: EntitySpec): string =>
  `Create a ${entity.label} and return it as stored. The payload is ` +
  `${payloadKeys(entity.createBody)}, then every key of additional_fields, which overrides ` +
  `them.${entity.parent === undefined ? '' : ` The API requires that ${entity.parent.rule}.`} ` +
  `Each call creates another ${entity.label} with a new uid, so check ` +
  `list_${entity.collection} before retrying a create whose answer was lost. A uid in ` +
  `additional_fields naming an existing ${entity.label} replaces that ${entity.label}'s whole ` +
  `payload instead, even a deleted one, with no version check; leave uid out to create. ` +
  `Returns the record ${RECORD}: version 1 for a new ${entity.label}, deletedAt null, payload ` +
  `as sent plus the server's uid, updatedTs and sync keys.` +
  failures([...parentOnCreate(entity), RATE_LIMITED]);

const update = (entity: EntitySpec): string =>
  `Replace a ${entity.label}'s whole payload (HTTP PUT). The new payload is ` +
  `${payloadKeys([UID, ...entity.updateBody])}, then additional_fields. Every other stored key ` +
  `is removed (${entity.updateDrops} and any custom key) unless additional_fields re-sends ` +
  `it: read the ${entity.label} with get_${entity.stem} first, or use patch_${entity.stem} ` +
  `to change only some keys.` +
  (entity.parent === undefined
    ? ''
    : ` Re-send ${entity.parent.keys} in additional_fields, or the API fails with 500.`) +
  `${entity.updateWarning} Pass the version you read as if_match to fail rather than ` +
  `overwrite a change made since.${changed}` +
  failures([
    BAD_UID,
    notFound(entity),
    gone(entity, ' (an update does not revive it)'),
    '412 if if_match is given and is not the current version (read again, then retry; the ' +
      'API answers 412, never 409)',
    ...parentOnWrite(entity),
    RATE_LIMITED,
  ]);

const patch = (entity: EntitySpec): string =>
  `Change some top-level keys of a ${entity.label} and keep all others (HTTP PATCH, a ` +
  `shallow merge). Each key of updates replaces the stored value: a nested object replaces ` +
  `the stored one whole, null is stored as null (the key stays), uid and sync are ignored. ` +
  `Sending the same updates again stores the same payload. There is no version check; use ` +
  `update_${entity.stem} with if_match for a conditional write.${changed}` +
  failures([BAD_UID, notFound(entity), gone(entity), ...parentOnWrite(entity), RATE_LIMITED]);

const remove = (entity: EntitySpec): string =>
  `Soft-delete a ${entity.label}: it is marked deleted, not erased. From then on ` +
  `list_${entity.collection} and get_${entity.stem} show it only with include_deleted: true, ` +
  `and every write to it, a second delete included, answers 410; only a create carrying its ` +
  `uid in additional_fields brings it back, with that create's payload.` +
  (entity.dependents === undefined
    ? ''
    : ` Its ${entity.dependents} are kept, but every write to them except delete then fails ` +
      `with 500.`) +
  ` Returns the deleted record ${RECORD}: deletedAt set, version one higher, payload kept ` +
  `with sync.isDeleted true.` +
  failures([BAD_UID, notFound(entity), gone(entity, ' already'), RATE_LIMITED]);

const archive = (entity: EntitySpec): string => {
  const [key, value] = entity.archiveSets;
  return (
    `Archive a ${entity.label}: the server sets payload.${key} to ${value} and keeps every ` +
    `other key. Archiving is not deleting: the ${entity.label} stays listed and readable, ` +
    `and patch_${entity.stem} can change ${key} again later. Archiving again ` +
    `changes nothing but the version.${changed}` +
    failures([BAD_UID, notFound(entity), gone(entity), ...parentOnWrite(entity), RATE_LIMITED])
  );
};

const processAction = (entity: EntitySpec): string =>
  `Apply a named action to a ${entity.label}. Each action sets one payload key and keeps the ` +
  `rest: ${entity.actions.map(([action, effect]) => `${action} → ${effect}`).join('; ')}. ` +
  `Any other action fails with HTTP 400. Repeating an action changes nothing but the version. ` +
  `metadata is optional context: it must be an object, and it is not stored.${changed}` +
  failures([
    `400 if uid is not a UUID or metadata is not an object`,
    notFound(entity),
    gone(entity),
    `400 if action is not ${spoken(
      entity.actions.map(([action]) => action),
      'or',
    )}`,
    ...parentOnWrite(entity),
    RATE_LIMITED,
  ]);

export const DESCRIPTIONS: Readonly<Record<OperationVerb, (entity: EntitySpec) => string>> = {
  list,
  get,
  create,
  update,
  patch,
  delete: remove,
  archive,
  process: processAction,
};

export const HEALTH_DESCRIPTION =
  "Report that this gateway is up, with the caller's tenant id and the ToolBridge API base " +
  'URL. Makes no API call, so it does not show whether the API is reachable. Returns ' +
  '{status: "healthy", tenant_id, go_api_base_url}.';
