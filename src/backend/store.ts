import { randomUUID } from 'node:crypto';
import type { EntityPath, EntitySpec } from './entities.ts';
import { goTime, parseUuid, type JsonObject } from './go-wire.ts';

/** Items per user and entity, with the Go service's mutation rules (CONTRACT.md B.6). */

export interface Row {
  readonly uid: string;
  readonly version: number;
  readonly updatedAtMs: number;
  readonly deletedAtMs: number | undefined;
  readonly payload: JsonObject;
}

export interface MutationOptions {
  /** If-Match: the version the caller believes is current. */
  expectedVersion?: number | undefined;
  /** Soft delete: a tombstone skips the parent checks. */
  deleted?: boolean;
}

export type MutationResult =
  | { ok: true; row: Row }
  | { ok: false; reason: 'version_mismatch'; expected: number; actual: number }
  | { ok: false; reason: 'invalid' };

export interface ListQuery {
  after: { ms: number; uid: string } | undefined;
  limit: number;
  includeDeleted: boolean;
}

/** Keyset order: (updated_at_ms, uid) ascending, uids compared as canonical text. */
const compareKeys = (aMs: number, aUid: string, bMs: number, bUid: string): number =>
  aMs !== bMs ? aMs - bMs : aUid < bUid ? -1 : aUid > bUid ? 1 : 0;

export function createItemStore(now: () => number) {
  const users = new Map<string, Map<EntityPath, Map<string, Row>>>();

  const table = (userId: string, entity: EntityPath): Map<string, Row> => {
    let tables = users.get(userId);
    if (tables === undefined) {
      tables = new Map();
      users.set(userId, tables);
    }
    let rows = tables.get(entity);
    if (rows === undefined) {
      rows = new Map();
      tables.set(entity, rows);
    }
    return rows;
  };

  return {
    get(userId: string, entity: EntityPath, uid: string): Row | undefined {
      return table(userId, entity).get(uid);
    },

    /**
     * Upserts by payload uid (a new UUID when it has no valid one): version+1 and a strictly
     * increasing timestamp on every applied mutation; server-managed keys are overwritten; a
     * create on a soft-deleted uid resurrects it.
     */
    apply(
      userId: string,
      entity: EntitySpec,
      payload: JsonObject,
      { expectedVersion, deleted = false }: MutationOptions = {},
    ): MutationResult {
      const rows = table(userId, entity.path);
      const given = payload['uid'];
      const uid = (typeof given === 'string' ? parseUuid(given) : undefined) ?? randomUUID();
      const existing = rows.get(uid);
      if (
        existing !== undefined &&
        expectedVersion !== undefined &&
        expectedVersion !== existing.version
      ) {
        return {
          ok: false,
          reason: 'version_mismatch',
          expected: expectedVersion,
          actual: existing.version,
        };
      }
      const live = (other: EntityPath, otherUid: string) => {
        const row = table(userId, other).get(otherUid);
        return row !== undefined && row.deletedAtMs === undefined;
      };
      if (!deleted && !entity.isValid(payload, live)) return { ok: false, reason: 'invalid' };

      const version = (existing?.version ?? 0) + 1;
      const updatedAtMs =
        existing === undefined ? now() : Math.max(now(), existing.updatedAtMs + 1);
      const deletedAtMs = deleted ? updatedAtMs : undefined;
      const sync: JsonObject = { version, isDeleted: deleted };
      if (deletedAtMs !== undefined) sync['deletedAt'] = goTime(deletedAtMs);
      const row: Row = {
        uid,
        version,
        updatedAtMs,
        deletedAtMs,
        payload: { ...payload, uid, updatedTs: goTime(updatedAtMs), sync },
      };
      rows.set(uid, row);
      return { ok: true, row };
    },

    list(userId: string, entity: EntityPath, { after, limit, includeDeleted }: ListQuery): Row[] {
      const page: Row[] = [];
      for (const row of table(userId, entity).values()) {
        if (!includeDeleted && row.deletedAtMs !== undefined) continue;
        if (after !== undefined && compareKeys(row.updatedAtMs, row.uid, after.ms, after.uid) <= 0)
          continue;
        page.push(row);
      }
      page.sort((a, b) => compareKeys(a.updatedAtMs, a.uid, b.updatedAtMs, b.uid));
      return page.slice(0, limit);
    },

    /** Deletes every row of the user; counts per Go table name. */
    wipe(userId: string): Record<string, number> {
      const tables = users.get(userId);
      const count = (entity: EntityPath) => tables?.get(entity)?.size ?? 0;
      const deleted = {
        chat: count('chats'),
        chat_message: count('chat_messages'),
        comment: count('comments'),
        note: count('notes'),
        task: count('tasks'),
      };
      users.delete(userId);
      return deleted;
    },
  };
}

export type ItemStore = ReturnType<typeof createItemStore>;
