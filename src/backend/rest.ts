import type { EntitySpec } from './entities.ts';
import {
  atoi,
  decodeObject,
  goField,
  goTime,
  isJsonObject,
  parseUuid,
  sortKeys,
  type JsonObject,
  type JsonValue,
} from './go-wire.ts';
import { sendError, sendJson, type Exchange } from './http.ts';
import type { ItemStore, MutationOptions, Row } from './store.ts';

/** The eight REST operations per entity (CONTRACT.md B.6), in the Go handlers' check order. */

export interface RestRequest {
  readonly exchange: Exchange;
  readonly userId: string;
  readonly entity: EntitySpec;
  readonly store: ItemStore;
  readonly body: () => Promise<string>;
}

/** RESTItem: a Go struct (field order kept) around a map payload (keys sorted). */
function itemJson(row: Row): Record<string, JsonValue> {
  const item: Record<string, JsonValue> = {
    uid: row.uid,
    version: row.version,
    updatedAt: goTime(row.updatedAtMs),
  };
  if (row.deletedAtMs !== undefined) item['deletedAt'] = goTime(row.deletedAtMs);
  item['payload'] = sortKeys(row.payload);
  return item;
}

const encodeCursor = (row: Row) =>
  Buffer.from(`${row.updatedAtMs}|${row.uid}`).toString('base64url');

/** An invalid cursor silently restarts the listing from the beginning. */
function decodeCursor(text: string | null): { ms: number; uid: string } | undefined {
  if (text === null || !/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return undefined;
  const [ms, uid, ...rest] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const parsedUid = uid === undefined ? undefined : parseUuid(uid);
  if (rest.length > 0 || ms === undefined || !/^-?\d{1,16}$/.test(ms) || parsedUid === undefined) {
    return undefined;
  }
  return { ms: Number(ms), uid: parsedUid };
}

/** limit: 500 when absent, invalid or ≤ 0; at most 1000. */
function listLimit(text: string | null): number {
  const limit = atoi(text ?? undefined);
  return limit === undefined || limit <= 0 ? 500 : Math.min(limit, 1000);
}

/** If-Match as Go reads it: quoted or bare integers; anything else is ignored. */
function ifMatch({ req }: Exchange): number | undefined {
  const header = req.headers['if-match'];
  if (header === undefined) return undefined;
  return atoi(/^"[^"]*"$/.test(header) ? header.slice(1, -1) : header);
}

/**
 * Parses the uid, then finds the row; a soft-deleted one only when `includeDeleted`. Otherwise
 * answers 400, 404 or 410 (`<entity> <gone>`, no correlation id) and returns undefined.
 */
function liveRow(
  request: RestRequest,
  rawUid: string,
  { gone = 'deleted', includeDeleted = false } = {},
): Row | undefined {
  const { exchange, entity, store, userId } = request;
  const uid = parseUuid(rawUid);
  if (uid === undefined) {
    sendError(exchange, 400, 'invalid UID');
    return undefined;
  }
  const row = store.get(userId, entity.path, uid);
  if (row === undefined) {
    sendError(exchange, 404, `${entity.label} not found`);
    return undefined;
  }
  if (row.deletedAtMs !== undefined && !includeDeleted) {
    sendJson(exchange, 410, {
      deletedAt: goTime(row.deletedAtMs),
      error: `${entity.label} ${gone}`,
    });
    return undefined;
  }
  return row;
}

/**
 * The body as a map for create and PUT. Otherwise answers 400 `invalid JSON`, or for `null` the
 * 500 of Go's panic on assigning into a nil map (chi's Recoverer sends no body).
 */
async function objectBody(request: RestRequest): Promise<JsonObject | undefined> {
  const decoded = decodeObject(await request.body());
  if (decoded.kind === 'object') return decoded.value;
  if (decoded.kind === 'invalid') {
    sendError(request.exchange, 400, 'invalid JSON');
  } else {
    request.exchange.res.writeHead(500, { 'Content-Length': 0 });
    request.exchange.res.end();
  }
  return undefined;
}

function mutate(
  request: RestRequest,
  verb: string,
  status: number,
  payload: JsonObject,
  options?: MutationOptions,
): void {
  const { exchange, entity, store, userId } = request;
  const result = store.apply(userId, entity, payload, options);
  if (result.ok) {
    sendJson(exchange, status, itemJson(result.row));
  } else if (result.reason === 'version_mismatch') {
    // Go wraps the service error in the same words once more, hence the doubled prefix.
    const detail = `version mismatch: expected ${result.expected}, actual ${result.actual}`;
    sendError(exchange, 412, `version mismatch: ${detail}`);
  } else {
    sendError(exchange, 500, `failed to ${verb} ${entity.label}`);
  }
}

export function list(request: RestRequest): void {
  const { exchange, entity, store, userId } = request;
  const { query } = exchange;
  const rows = store.list(userId, entity.path, {
    after: decodeCursor(query.get('cursor')),
    limit: listLimit(query.get('limit')),
    includeDeleted: query.get('includeDeleted') === 'true',
  });
  const last = rows.at(-1);
  const body: Record<string, JsonValue> = { items: rows.map(itemJson) };
  if (last !== undefined) body['nextCursor'] = encodeCursor(last);
  sendJson(exchange, 200, body);
}

export async function create(request: RestRequest): Promise<void> {
  const payload = await objectBody(request);
  if (payload !== undefined) mutate(request, 'create', 201, payload);
}

export function get(request: RestRequest, rawUid: string): void {
  const includeDeleted = request.exchange.query.get('includeDeleted') === 'true';
  const row = liveRow(request, rawUid, { includeDeleted });
  if (row !== undefined) sendJson(request.exchange, 200, itemJson(row));
}

export async function replace(request: RestRequest, rawUid: string): Promise<void> {
  const row = liveRow(request, rawUid);
  if (row === undefined) return;
  const body = await objectBody(request);
  if (body === undefined) return;
  const payload = { ...body, uid: row.uid };
  mutate(request, 'update', 200, payload, { expectedVersion: ifMatch(request.exchange) });
}

export async function patch(request: RestRequest, rawUid: string): Promise<void> {
  const row = liveRow(request, rawUid);
  if (row === undefined) return;
  const decoded = decodeObject(await request.body());
  if (decoded.kind === 'invalid') {
    sendError(request.exchange, 400, 'invalid JSON');
    return;
  }
  const merged = structuredClone(row.payload);
  if (decoded.kind === 'object') {
    for (const [key, value] of Object.entries(decoded.value)) {
      if (key !== 'uid' && key !== 'sync') merged[key] = value;
    }
  }
  mutate(request, 'patch', 200, merged, { expectedVersion: ifMatch(request.exchange) });
}

export function remove(request: RestRequest, rawUid: string): void {
  const row = liveRow(request, rawUid, { gone: 'already deleted' });
  if (row === undefined) return;
  mutate(request, 'delete', 200, structuredClone(row.payload), { deleted: true });
}

export function archive(request: RestRequest, rawUid: string): void {
  const row = liveRow(request, rawUid);
  if (row === undefined) return;
  const payload = structuredClone(row.payload);
  request.entity.archive(payload);
  mutate(request, 'archive', 200, payload);
}

/** Body `{action, metadata?}`: metadata must be an object or null, then is ignored. */
export async function process(request: RestRequest, rawUid: string): Promise<void> {
  const { exchange, entity } = request;
  if (parseUuid(rawUid) === undefined) {
    sendError(exchange, 400, 'invalid UID');
    return;
  }
  const decoded = decodeObject(await request.body());
  let action = '';
  if (decoded.kind === 'object') {
    const given = goField(decoded.value, 'action');
    const metadata = goField(decoded.value, 'metadata');
    const validAction = given === undefined || given === null || typeof given === 'string';
    const validMetadata = metadata === undefined || metadata === null || isJsonObject(metadata);
    if (!validAction || !validMetadata) {
      sendError(exchange, 400, 'invalid JSON');
      return;
    }
    action = typeof given === 'string' ? given : '';
  } else if (decoded.kind === 'invalid') {
    sendError(exchange, 400, 'invalid JSON');
    return;
  }
  const row = liveRow(request, rawUid);
  if (row === undefined) return;
  const apply = entity.actions.get(action);
  if (apply === undefined) {
    sendError(exchange, 400, `invalid action: ${action}`);
    return;
  }
  const payload = structuredClone(row.payload);
  apply(payload);
  mutate(request, 'process', 200, payload);
}
