/**
 * CONTRACT.md B.6, checked once per entity: the item shape, CRUD lifecycle, soft deletion,
 * archive/process effects and error messages of /v1/{notes,tasks,comments,chats,chat_messages}.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newUser } from './client.ts';
import { ENTITIES, createItem, foreignAction, parentLink, type EntitySpec } from './entities.ts';
import { expectGone, expectJsonError, itemOf, listOf, nanosOf, type RestItem } from './shapes.ts';
import { useTarget } from './target.ts';

const target = useTarget();

/** The stored payload B.6 promises: client keys plus server-managed uid/updatedTs/sync. */
const expectedPayload = (body: Record<string, unknown>, item: RestItem, isDeleted = false) => ({
  ...body,
  uid: item.uid,
  updatedTs: item.updatedAt,
  sync: { version: item.version, isDeleted },
});

const omit = (payload: Record<string, unknown>, ...keys: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(payload).filter(([key]) => !keys.includes(key)));

describe.each(ENTITIES)('/v1/$path', (spec: EntitySpec) => {
  const base = `/v1/${spec.path}`;

  describe('create and read', () => {
    it('POST ⇒ 201, version 1, payload = body + uid/updatedTs/sync', async () => {
      const user = await newUser(target());
      const body = await spec.body(user);
      const reply = await user.call('POST', base, { json: body });
      const item = itemOf(reply, 201);
      expect(item.version).toBe(1);
      expect(item.deletedAt).toBeUndefined();
      expect(item.payload).toEqual(expectedPayload(body, item));
    });

    it('overwrites client values of the server-managed keys', async () => {
      const user = await newUser(target());
      const body = {
        ...(await spec.body(user)),
        uid: 'not-a-uuid',
        updatedTs: '1999-01-01T00:00:00Z',
        sync: { version: 42, isDeleted: true, deletedAt: '1999-01-01T00:00:00Z' },
      };
      const item = itemOf(await user.call('POST', base, { json: body }), 201);
      expect(item.uid).not.toBe('not-a-uuid');
      expect(item.version).toBe(1);
      expect(item.deletedAt).toBeUndefined();
      expect(item.payload).toEqual(expectedPayload({ ...body }, item));
    });

    it('keeps a valid uid given in the body', async () => {
      const user = await newUser(target());
      const uid = randomUUID();
      const item = await createItem(user, spec, { uid });
      expect(item.uid).toBe(uid);
      expect(item.payload['uid']).toBe(uid);
    });

    it('GET ⇒ 200 with the same item; upper-case and urn:uuid forms address it too', async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      for (const form of [item.uid, item.uid.toUpperCase(), `urn:uuid:${item.uid}`]) {
        expect(itemOf(await user.call('GET', `${base}/${form}`))).toEqual(item);
      }
    });

    it(`GET of an unknown uid ⇒ 404 "${spec.name} not found"`, async () => {
      const user = await newUser(target());
      expectJsonError(
        await user.call('GET', `${base}/${randomUUID()}`),
        404,
        `${spec.name} not found`,
      );
    });

    it("another user's row is not found (data is scoped by JWT user)", async () => {
      const owner = await newUser(target());
      const item = await createItem(owner, spec);
      const other = await newUser(target());
      expectJsonError(
        await other.call('GET', `${base}/${item.uid}`),
        404,
        `${spec.name} not found`,
      );
      expect(listOf(await other.call('GET', base)).items).toEqual([]);
    });
  });

  describe('400 invalid UID on every {uid} route', () => {
    const routes: readonly [string, string, unknown][] = [
      ['GET', '', undefined],
      ['PUT', '', {}],
      ['PATCH', '', {}],
      ['DELETE', '', undefined],
      ['POST', '/archive', {}],
      ['POST', '/process', { action: 'x' }],
    ];
    it.each(routes)('%s {uid}%s', async (method, suffix, json) => {
      const user = await newUser(target());
      for (const bad of ['not-a-uuid', '12345', `${randomUUID()}x`]) {
        const reply = await user.call(
          method,
          `${base}/${bad}${suffix}`,
          json === undefined ? {} : { json },
        );
        expectJsonError(reply, 400, 'invalid UID');
      }
    });
  });

  describe('404 on every {uid} route for an unknown uid', () => {
    const routes: readonly [string, string, unknown][] = [
      ['PUT', '', { title: 't' }],
      ['PATCH', '', {}],
      ['DELETE', '', undefined],
      ['POST', '/archive', {}],
      ['POST', '/process', { action: Object.keys(spec.actions)[0] }],
    ];
    it.each(routes)('%s {uid}%s', async (method, suffix, json) => {
      const user = await newUser(target());
      const reply = await user.call(
        method,
        `${base}/${randomUUID()}${suffix}`,
        json === undefined ? {} : { json },
      );
      // tools.json gives the message only for GET and PUT; the others are checked for shape
      expectJsonError(reply, 404, method === 'PUT' ? `${spec.name} not found` : /\S/);
    });
  });

  describe('PUT replaces, PATCH merges', () => {
    it('PUT ⇒ 200, version+1, payload replaced (unsent keys dropped), uid forced to the URL', async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const replacement = { ...parentLink(spec, item), replaced: true, uid: randomUUID() };
      const updated = itemOf(await user.call('PUT', `${base}/${item.uid}`, { json: replacement }));
      expect(updated.uid).toBe(item.uid);
      expect(updated.version).toBe(2);
      expect(updated.payload).toEqual(expectedPayload(replacement, updated));
      expect(nanosOf(updated.updatedAt)).toBeGreaterThan(nanosOf(item.updatedAt));
      expect(itemOf(await user.call('GET', `${base}/${item.uid}`))).toEqual(updated);
      // the uid from the body did not create or address another row
      expect((await user.call('GET', `${base}/${replacement.uid}`)).status).toBe(404);
    });

    it('PATCH ⇒ 200, version+1, shallow merge; body uid and sync are ignored', async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const patch = { extra: { a: 1 }, uid: randomUUID(), sync: { version: 99, isDeleted: true } };
      const patched = itemOf(await user.call('PATCH', `${base}/${item.uid}`, { json: patch }));
      expect(patched.uid).toBe(item.uid);
      expect(patched.version).toBe(2);
      expect(patched.deletedAt).toBeUndefined();
      expect(patched.payload).toEqual({
        ...item.payload,
        extra: { a: 1 },
        uid: item.uid,
        updatedTs: patched.updatedAt,
        sync: { version: 2, isDeleted: false },
      });
      expect(nanosOf(patched.updatedAt)).toBeGreaterThan(nanosOf(item.updatedAt));
    });
  });

  describe('archive and process', () => {
    it(`archive ⇒ 200, version+1, writes ${JSON.stringify(spec.archive)}`, async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const archived = itemOf(await user.call('POST', `${base}/${item.uid}/archive`, { json: {} }));
      expect(archived.version).toBe(2);
      expect(archived.payload).toEqual({
        ...item.payload,
        ...spec.archive,
        updatedTs: archived.updatedAt,
        sync: { version: 2, isDeleted: false },
      });
    });

    it('archive ignores its request body, even one that is not JSON', async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const reply = await user.call('POST', `${base}/${item.uid}/archive`, { body: 'not json' });
      expect(itemOf(reply).payload).toMatchObject(spec.archive);
    });

    it.each(Object.entries(spec.actions))(
      'process %s ⇒ 200, version+1, writes %o',
      async (action, effect) => {
        const user = await newUser(target());
        const item = await createItem(user, spec);
        const reply = await user.call('POST', `${base}/${item.uid}/process`, { json: { action } });
        const processed = itemOf(reply);
        expect(processed.version).toBe(2);
        expect(processed.payload).toEqual({
          ...item.payload,
          ...effect,
          updatedTs: processed.updatedAt,
          sync: { version: 2, isDeleted: false },
        });
      },
    );

    it('process metadata (object or null) is accepted and ignored', async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const [action, effect] = Object.entries(spec.actions)[0]!;
      for (const metadata of [{ note: 'why' }, null]) {
        const reply = await user.call('POST', `${base}/${item.uid}/process`, {
          json: { action, metadata },
        });
        const processed = itemOf(reply);
        expect(processed.payload).toEqual({
          ...item.payload,
          ...effect,
          updatedTs: processed.updatedAt,
          sync: { version: processed.version, isDeleted: false },
        });
      }
    });

    const badMetadata: readonly [string, unknown][] = [
      ['a string', 'why'],
      ['an array', ['why']],
      ['a number', 1],
    ];
    it.each(badMetadata)('process with metadata %s ⇒ 400 invalid JSON', async (_n, metadata) => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const [action] = Object.keys(spec.actions);
      const reply = await user.call('POST', `${base}/${item.uid}/process`, {
        json: { action, metadata },
      });
      expectJsonError(reply, 400, 'invalid JSON');
    });

    it.each(['explode', foreignAction(spec), 'PIN'])(
      'process action %j ⇒ 400 "invalid action: <x>", row unchanged',
      async (action) => {
        const user = await newUser(target());
        const item = await createItem(user, spec);
        const reply = await user.call('POST', `${base}/${item.uid}/process`, { json: { action } });
        expectJsonError(reply, 400, `invalid action: ${action}`);
        expect(itemOf(await user.call('GET', `${base}/${item.uid}`))).toEqual(item);
      },
    );
  });

  describe('soft delete', () => {
    it('DELETE ⇒ 200 full item with deletedAt; the payload is kept and marked deleted', async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const deleted = itemOf(await user.call('DELETE', `${base}/${item.uid}`));
      expect(deleted.uid).toBe(item.uid);
      expect(deleted.version).toBe(2);
      expect(deleted.deletedAt).toBeDefined();
      expect(omit(deleted.payload, 'sync', 'updatedTs')).toEqual(
        omit(item.payload, 'sync', 'updatedTs'),
      );
      expect(deleted.payload['updatedTs']).toBe(deleted.updatedAt);
      expect(deleted.payload['sync']).toMatchObject({ version: 2, isDeleted: true });
    });

    it(`then GET ⇒ 410 {deletedAt, error:"${spec.name} deleted"}; includeDeleted=true ⇒ 200`, async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const deleted = itemOf(await user.call('DELETE', `${base}/${item.uid}`));
      expectGone(
        await user.call('GET', `${base}/${item.uid}`),
        `${spec.name} deleted`,
        deleted.deletedAt,
      );
      expect(itemOf(await user.call('GET', `${base}/${item.uid}?includeDeleted=true`))).toEqual(
        deleted,
      );
      for (const value of ['TRUE', '1', 'yes', 'false']) {
        const reply = await user.call('GET', `${base}/${item.uid}?includeDeleted=${value}`);
        expectGone(reply, `${spec.name} deleted`, deleted.deletedAt);
      }
    });

    it(`a second DELETE ⇒ 410 "${spec.name} already deleted"`, async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const deleted = itemOf(await user.call('DELETE', `${base}/${item.uid}`));
      expectGone(
        await user.call('DELETE', `${base}/${item.uid}`),
        `${spec.name} already deleted`,
        deleted.deletedAt,
      );
    });

    it('PUT, PATCH, archive and process on a deleted row ⇒ 410; nothing changes', async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const deleted = itemOf(await user.call('DELETE', `${base}/${item.uid}`));
      expectGone(
        await user.call('PUT', `${base}/${item.uid}`, {
          json: { ...parentLink(spec, item), x: 1 },
        }),
        `${spec.name} deleted`,
        deleted.deletedAt,
      );
      const others: readonly [string, string, unknown][] = [
        ['PATCH', '', { x: 1 }],
        ['POST', '/archive', {}],
        ['POST', '/process', { action: Object.keys(spec.actions)[0] }],
      ];
      for (const [method, suffix, json] of others) {
        const reply = await user.call(method, `${base}/${item.uid}${suffix}`, { json });
        // B.6 gives only the status for these; the 410 body shape is the same everywhere
        expect(reply.status, `${method} ${suffix}`).toBe(410);
      }
      expect(itemOf(await user.call('GET', `${base}/${item.uid}?includeDeleted=true`))).toEqual(
        deleted,
      );
    });

    it('deleted rows are hidden from the list unless includeDeleted=true', async () => {
      const user = await newUser(target());
      const kept = await createItem(user, spec);
      const gone = await createItem(user, spec);
      const deleted = itemOf(await user.call('DELETE', `${base}/${gone.uid}`));
      const uids = (items: RestItem[]) => items.map((i) => i.uid);
      expect(uids(listOf(await user.call('GET', base)).items)).toContain(kept.uid);
      expect(uids(listOf(await user.call('GET', base)).items)).not.toContain(gone.uid);
      expect(uids(listOf(await user.call('GET', `${base}?includeDeleted=1`)).items)).not.toContain(
        gone.uid,
      );
      expect(listOf(await user.call('GET', `${base}?includeDeleted=true`)).items).toContainEqual(
        deleted,
      );
    });
  });

  describe('create with an existing uid (B.6)', () => {
    it('updates that row: 201, version+1, payload replaced', async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const body = { ...parentLink(spec, item), uid: item.uid, second: true };
      const again = itemOf(await user.call('POST', base, { json: body }), 201);
      expect(again.uid).toBe(item.uid);
      expect(again.version).toBe(2);
      expect(again.payload).toEqual(expectedPayload(body, again));
      expect(
        listOf(await user.call('GET', base)).items.filter((i) => i.uid === item.uid),
      ).toHaveLength(1);
    });

    it('resurrects a soft-deleted row', async () => {
      const user = await newUser(target());
      const item = await createItem(user, spec);
      const deleted = itemOf(await user.call('DELETE', `${base}/${item.uid}`));
      const body = { ...parentLink(spec, item), uid: item.uid, back: true };
      const revived = itemOf(await user.call('POST', base, { json: body }), 201);
      expect(revived.version).toBe(deleted.version + 1);
      expect(revived.deletedAt).toBeUndefined();
      expect(revived.payload).toEqual(expectedPayload(body, revived));
      expect(itemOf(await user.call('GET', `${base}/${item.uid}`))).toEqual(revived);
    });
  });
});
