/**
 * CONTRACT.md B.1: error body shapes and correlation ids; malformed input; routing errors; and
 * the guarantee that a rejected request leaves stored data untouched.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newUser, type CallInit, type User } from './client.ts';
import { createItem, notes } from './entities.ts';
import { UUID_V4, expectJsonError, itemOf, listOf } from './shapes.ts';
import { embedded, useTarget } from './target.ts';

const target = useTarget();

describe('correlation ids (B.1 CorrelationMiddleware, writeError)', () => {
  it('generates a UUIDv4 when none is sent, and uses it in the error body', async () => {
    const user = await newUser(target());
    const reply = await user.call('GET', `/v1/notes/${randomUUID()}`);
    expect(reply.headers['x-correlation-id']).toMatch(UUID_V4);
    expectJsonError(reply, 404, 'note not found');
  });

  it('generates a new id per request', async () => {
    const user = await newUser(target());
    const a = await user.call('GET', '/v1/notes');
    const b = await user.call('GET', '/v1/notes');
    expect(a.headers['x-correlation-id']).toMatch(UUID_V4);
    expect(b.headers['x-correlation-id']).toMatch(UUID_V4);
    expect(a.headers['x-correlation-id']).not.toBe(b.headers['x-correlation-id']);
  });

  it('echoes a sent X-Correlation-ID in the header and the error body', async () => {
    const user = await newUser(target());
    const reply = await user.call('GET', `/v1/notes/${randomUUID()}`, {
      headers: { 'X-Correlation-ID': 'contract-corr-1' },
    });
    expect(reply.headers['x-correlation-id']).toBe('contract-corr-1');
    expectJsonError(reply, 404, 'note not found');
  });

  it('sets the header on successful and session responses too', async () => {
    const user = await newUser(target());
    const list = await user.call('GET', '/v1/notes', { headers: { 'X-Correlation-ID': 'c-list' } });
    expect(list.status).toBe(200);
    expect(list.headers['x-correlation-id']).toBe('c-list');
    const session = await user.bare('POST', '/v1/sync/sessions', {
      headers: { 'X-Correlation-ID': 'c-session' },
    });
    expect(session.status).toBe(201);
    expect(session.headers['x-correlation-id']).toBe('c-session');
  });
});

describe('malformed JSON ⇒ 400 "invalid JSON" (B.6)', () => {
  const bodies: readonly [string, string][] = [
    ['truncated', '{"title":'],
    ['not JSON at all', 'title=Hi'],
  ];
  const routes: readonly [string, string, (item: string) => string][] = [
    ['POST', 'create', () => '/v1/notes'],
    ['PUT', 'replace', (uid) => `/v1/notes/${uid}`],
    ['PATCH', 'merge', (uid) => `/v1/notes/${uid}`],
    ['POST', 'process', (uid) => `/v1/notes/${uid}/process`],
  ];
  for (const [bodyName, body] of bodies) {
    it.each(routes)(`%s (%s) with a ${bodyName} body`, async (method, _n, path) => {
      const user = await newUser(target());
      const item = await createItem(user, notes);
      expectJsonError(await user.call(method, path(item.uid), { body }), 400, 'invalid JSON');
      expect(listOf(await user.call('GET', '/v1/notes')).items).toEqual([item]);
    });
  }

  it('create with an empty body ⇒ 400 "invalid JSON"', async () => {
    const user = await newUser(target());
    expectJsonError(await user.call('POST', '/v1/notes', { body: '' }), 400, 'invalid JSON');
  });
});

// CONTRACT.md does not describe Go's (chi's) 404/405 bodies; only the status is asserted.
describe('routing errors', () => {
  const uid = randomUUID();
  const unknown: readonly string[] = [
    '/nope',
    '/v1/nope',
    '/v1/note',
    `/v1/notes/${uid}/nope`,
    `/v1/notes/${uid}/archive/extra`,
  ];
  it.each(unknown)('GET %s ⇒ 404', async (path) => {
    const user = await newUser(target());
    expect((await user.call('GET', path)).status).toBe(404);
  });

  const wrongMethod: readonly [string, string][] = [
    ['POST', '/healthz'],
    ['DELETE', '/v1/sync/info'],
    ['PUT', '/v1/notes'],
    ['DELETE', '/v1/notes'],
    ['POST', `/v1/notes/${uid}`],
    ['GET', `/v1/notes/${uid}/archive`],
    ['GET', `/v1/tasks/${uid}/process`],
    ['GET', '/v1/sync/wipe'],
    ['POST', '/v1/sync/state'],
    ['PUT', `/v1/sync/sessions/${uid}`],
  ];
  it.each(wrongMethod)('%s %s ⇒ 405', async (method, path) => {
    const user = await newUser(target());
    const reply = await user.call(
      method,
      path,
      method === 'GET' || method === 'DELETE' ? {} : { json: {} },
    );
    expect(reply.status).toBe(405);
  });

  it('an unknown route never touches data', async () => {
    const user = await newUser(target());
    const item = await createItem(user, notes);
    await user.call('POST', `/v1/notes/${item.uid}/explode`, { json: {} });
    expect(itemOf(await user.call('GET', `/v1/notes/${item.uid}`))).toEqual(item);
  });
});

// CONTRACT.md does not say how Go treats huge bodies; the embedded backend promises to reject
// bodies over 1 MiB, so this runs against it only, asserting just the status class, the error
// shape and that nothing was stored.
if (embedded) {
  describe('bodies over 1 MiB', () => {
    const big = (): string => JSON.stringify({ title: 't', content: 'x'.repeat(1536 * 1024) });

    it('create is rejected with a 4xx JSON error and stores nothing', async () => {
      const user = await newUser(target());
      const reply = await user.call('POST', '/v1/notes', { body: big() });
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expectJsonError(reply, reply.status, /\S/);
      expect(listOf(await user.call('GET', '/v1/notes?includeDeleted=true')).items).toEqual([]);
    });

    it('PUT is rejected with a 4xx JSON error and leaves the row unchanged', async () => {
      const user = await newUser(target());
      const item = await createItem(user, notes);
      const reply = await user.call('PUT', `/v1/notes/${item.uid}`, { body: big() });
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expectJsonError(reply, reply.status, /\S/);
      expect(itemOf(await user.call('GET', `/v1/notes/${item.uid}`))).toEqual(item);
    });
  });
}

describe('a rejected request leaves the stored row unchanged', () => {
  type Reject = readonly [
    string,
    number,
    (user: User, uid: string) => Promise<CallInit & { method: string; path: string }>,
  ];
  const put = (uid: string, init: CallInit = {}) => ({
    method: 'PUT',
    path: `/v1/notes/${uid}`,
    ...(init.body === undefined ? { json: { title: 'overwritten' } } : {}),
    ...init,
  });
  const rejects: readonly Reject[] = [
    [
      'PUT with a stale If-Match',
      412,
      (_u, uid) => Promise.resolve(put(uid, { headers: { 'If-Match': '9' } })),
    ],
    [
      'PATCH with a stale If-Match',
      412,
      (_u, uid) =>
        Promise.resolve({ ...put(uid, { headers: { 'If-Match': '9' } }), method: 'PATCH' }),
    ],
    ['PUT with malformed JSON', 400, (_u, uid) => Promise.resolve(put(uid, { body: '{' }))],
    [
      'PATCH with malformed JSON',
      400,
      (_u, uid) => Promise.resolve({ ...put(uid, { body: '{' }), method: 'PATCH' }),
    ],
    [
      'process with an invalid action',
      400,
      (_u, uid) =>
        Promise.resolve({
          method: 'POST',
          path: `/v1/notes/${uid}/process`,
          json: { action: 'x' },
        }),
    ],
    [
      'process with non-object metadata',
      400,
      (_u, uid) =>
        Promise.resolve({
          method: 'POST',
          path: `/v1/notes/${uid}/process`,
          json: { action: 'pin', metadata: 'm' },
        }),
    ],
    [
      'PUT with a stale epoch',
      409,
      (_u, uid) => Promise.resolve(put(uid, { headers: { 'X-Sync-Epoch': '0' } })),
    ],
    [
      'PUT without a session',
      428,
      (_u, uid) => Promise.resolve(put(uid, { headers: { 'X-Sync-Session': null } })),
    ],
    [
      "PUT with another user's session",
      403,
      async (_u, uid) =>
        put(uid, { headers: { 'X-Sync-Session': (await newUser(target())).session.id } }),
    ],
    [
      'PUT without a token',
      401,
      (_u, uid) => Promise.resolve(put(uid, { headers: { Authorization: null } })),
    ],
  ];
  it.each(rejects)('%s ⇒ %i', async (_n, status, make) => {
    const user = await newUser(target());
    const item = await createItem(user, notes);
    const { method, path, ...init } = await make(user, item.uid);
    expect((await user.call(method, path, init)).status).toBe(status);
    expect(itemOf(await user.call('GET', `/v1/notes/${item.uid}`))).toEqual(item);
  });

  it("another user's PUT/PATCH/DELETE ⇒ 404 and the owner's row is unchanged", async () => {
    const owner = await newUser(target());
    const item = await createItem(owner, notes);
    const other = await newUser(target());
    const path = `/v1/notes/${item.uid}`;
    expect((await other.call('PUT', path, { json: { t: 1 } })).status).toBe(404);
    expect((await other.call('PATCH', path, { json: { t: 1 } })).status).toBe(404);
    expect((await other.call('DELETE', path)).status).toBe(404);
    expect((await other.call('POST', `${path}/archive`, { json: {} })).status).toBe(404);
    expect(itemOf(await owner.call('GET', path))).toEqual(item);
  });
});
