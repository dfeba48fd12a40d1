/**
 * CONTRACT.md B.6, rules that are the same for every entity (checked on notes unless the rule is
 * about parents): listing and cursors, If-Match, PATCH details, error check order, and the
 * parent validation of comments and chat messages (traps 4 and 5).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newUser, type User } from './client.ts';
import { chatMessages, chats, comments, createItem, notes, tasks } from './entities.ts';
import {
  cursorFor,
  expectGone,
  expectJsonError,
  itemOf,
  listOf,
  msOf,
  nanosOf,
  sleep,
  type RestItem,
} from './shapes.ts';
import { useTarget } from './target.ts';

const target = useTarget();

/** Creates `count` notes, a few ms apart so each gets its own updated_at_ms. */
async function createNotes(user: User, count: number): Promise<RestItem[]> {
  const items: RestItem[] = [];
  for (let i = 0; i < count; i += 1) {
    items.push(await createItem(user, notes, { title: `n${i}` }));
    await sleep(3);
  }
  return items;
}

const byKey = (a: RestItem, b: RestItem): number =>
  msOf(a.updatedAt) - msOf(b.updatedAt) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);

describe('GET /v1/{E} list (B.6)', () => {
  it('an empty list is {"items":[]} without nextCursor', async () => {
    const user = await newUser(target());
    const reply = await user.call('GET', '/v1/notes');
    expect(listOf(reply)).toEqual({ items: [] });
  });

  it('orders by (updated_at_ms, uid) ascending: oldest-modified first', async () => {
    const user = await newUser(target());
    const [a, b, c] = await createNotes(user, 3);
    const touched = itemOf(await user.call('PATCH', `/v1/notes/${a!.uid}`, { json: { t: 1 } }));
    const { items } = listOf(await user.call('GET', '/v1/notes'));
    expect(items.map((i) => i.uid)).toEqual([b!.uid, c!.uid, a!.uid]);
    expect([...items].sort(byKey)).toEqual(items);
    expect(items[2]).toEqual(touched);
  });

  it('pages with limit and nextCursor; nextCursor is on every non-empty page', async () => {
    const user = await newUser(target());
    const created = await createNotes(user, 3);
    const page1 = listOf(await user.call('GET', '/v1/notes?limit=2'));
    expect(page1.items).toEqual(created.slice(0, 2));
    expect(page1.nextCursor).toBe(cursorFor(created[1]!));
    const page2 = listOf(
      await user.call('GET', `/v1/notes?limit=2&cursor=${encodeURIComponent(page1.nextCursor!)}`),
    );
    expect(page2.items).toEqual(created.slice(2));
    // present on the last (short) page too
    expect(page2.nextCursor).toBe(cursorFor(created[2]!));
    const page3 = listOf(
      await user.call('GET', `/v1/notes?limit=2&cursor=${encodeURIComponent(page2.nextCursor!)}`),
    );
    expect(page3).toEqual({ items: [] });
  });

  it('accepts a hand-built cursor: base64url("<updated_at_ms>|<uid>")', async () => {
    const user = await newUser(target());
    const created = await createNotes(user, 3);
    const reply = await user.call('GET', `/v1/notes?cursor=${cursorFor(created[0]!)}`);
    expect(listOf(reply).items).toEqual(created.slice(1));
  });

  const invalidCursors: readonly [string, string][] = [
    ['garbage', 'garbage!!'],
    ['base64url without a separator', Buffer.from('12345').toString('base64url')],
    ['base64url with a non-UUID', Buffer.from('12345|nope').toString('base64url')],
    ['base64url with a non-number', Buffer.from(`x|${randomUUID()}`).toString('base64url')],
  ];
  it.each(invalidCursors)(
    'an invalid cursor (%s) silently restarts from the beginning',
    async (_n, cursor) => {
      const user = await newUser(target());
      const created = await createNotes(user, 2);
      const reply = await user.call('GET', `/v1/notes?cursor=${encodeURIComponent(cursor)}`);
      expect(listOf(reply).items).toEqual(created);
    },
  );

  // The 500 default and the 1000 clamp would need >500 rows for one user; at 10 requests/s
  // (B.5) that is too slow, so these only check that such limits are not errors and do not
  // truncate a small list.
  it.each(['', '0', '-5', 'abc', '1000', '5000', '2.5'])(
    'limit=%j returns every row of a small list',
    async (limit) => {
      const user = await newUser(target());
      const created = await createNotes(user, 3);
      const reply = await user.call('GET', `/v1/notes?limit=${limit}`);
      expect(listOf(reply).items).toEqual(created);
    },
  );

  it('limit=1 returns one row', async () => {
    const user = await newUser(target());
    const created = await createNotes(user, 2);
    expect(listOf(await user.call('GET', '/v1/notes?limit=1')).items).toEqual(created.slice(0, 1));
  });

  it('a deleted row moves to the end (its delete is its latest modification)', async () => {
    const user = await newUser(target());
    const [a, b] = await createNotes(user, 2);
    const deleted = itemOf(await user.call('DELETE', `/v1/notes/${a!.uid}`));
    const { items } = listOf(await user.call('GET', '/v1/notes?includeDeleted=true'));
    expect(items).toEqual([b, deleted]);
  });
});

describe('If-Match on PUT and PATCH (B.6, trap 3)', () => {
  const cases: readonly [string, string, number, string | undefined][] = [
    ['the current version, unquoted', '1', 200, undefined],
    ['the current version, quoted', '"1"', 200, undefined],
    [
      'a stale version, unquoted',
      '5',
      412,
      'version mismatch: version mismatch: expected 5, actual 1',
    ],
    [
      'a stale version, quoted',
      '"5"',
      412,
      'version mismatch: version mismatch: expected 5, actual 1',
    ],
    ['0', '0', 412, 'version mismatch: version mismatch: expected 0, actual 1'],
    ['a non-integer (ignored)', 'abc', 200, undefined],
    ['a wildcard (non-integer, ignored)', '*', 200, undefined],
  ];
  for (const method of ['PUT', 'PATCH'] as const) {
    it.each(cases)(
      `${method} with If-Match = %s (%s) ⇒ %i`,
      async (_n, ifMatch, status, message) => {
        const user = await newUser(target());
        const item = await createItem(user, notes);
        const reply = await user.call(method, `/v1/notes/${item.uid}`, {
          json: { title: 'changed' },
          headers: { 'If-Match': ifMatch },
        });
        if (message === undefined) {
          expect(itemOf(reply, status).version).toBe(2);
        } else {
          expectJsonError(reply, status, message);
          expect(itemOf(await user.call('GET', `/v1/notes/${item.uid}`))).toEqual(item);
        }
      },
    );
  }

  it('checks against the current version after earlier writes', async () => {
    const user = await newUser(target());
    const item = await createItem(user, notes);
    const path = `/v1/notes/${item.uid}`;
    itemOf(await user.call('PUT', path, { json: { a: 1 }, headers: { 'If-Match': '1' } }));
    expectJsonError(
      await user.call('PUT', path, { json: { a: 2 }, headers: { 'If-Match': '1' } }),
      412,
      'version mismatch: version mismatch: expected 1, actual 2',
    );
    expect(
      itemOf(await user.call('PUT', path, { json: { a: 3 }, headers: { 'If-Match': '2' } }))
        .version,
    ).toBe(3);
  });
});

describe('PATCH details (B.6)', () => {
  it('replaces nested objects instead of deep-merging, and stores null as null', async () => {
    const user = await newUser(target());
    const item = await createItem(user, notes, { meta: { a: 1, b: 2 } });
    const patched = itemOf(
      await user.call('PATCH', `/v1/notes/${item.uid}`, { json: { meta: { c: 3 }, title: null } }),
    );
    expect(patched.payload['meta']).toEqual({ c: 3 });
    expect(patched.payload).toHaveProperty('title', null);
    expect(patched.payload['content']).toBe('x');
  });

  it('an empty {} still bumps the version', async () => {
    const user = await newUser(target());
    const item = await createItem(user, notes);
    const patched = itemOf(await user.call('PATCH', `/v1/notes/${item.uid}`, { json: {} }));
    expect(patched.version).toBe(2);
    expect(nanosOf(patched.updatedAt)).toBeGreaterThan(nanosOf(item.updatedAt));
  });

  it('every applied mutation bumps version and updatedAt strictly', async () => {
    const user = await newUser(target());
    let item = await createItem(user, notes);
    for (let i = 0; i < 5; i += 1) {
      const next = itemOf(await user.call('PATCH', `/v1/notes/${item.uid}`, { json: { i } }));
      expect(next.version).toBe(item.version + 1);
      expect(nanosOf(next.updatedAt)).toBeGreaterThan(nanosOf(item.updatedAt));
      item = next;
    }
  });
});

describe('error check order (B.6 table)', () => {
  it('PUT: invalid UID before invalid JSON', async () => {
    const user = await newUser(target());
    expectJsonError(await user.call('PUT', '/v1/notes/nope', { body: '{' }), 400, 'invalid UID');
  });

  it('PUT/PATCH: 404 before invalid JSON', async () => {
    const user = await newUser(target());
    for (const method of ['PUT', 'PATCH'] as const) {
      const reply = await user.call(method, `/v1/notes/${randomUUID()}`, { body: '{' });
      expectJsonError(reply, 404, method === 'PUT' ? 'note not found' : /\S/);
    }
  });

  it('PUT: 410 before invalid JSON', async () => {
    const user = await newUser(target());
    const item = await createItem(user, notes);
    const deleted = itemOf(await user.call('DELETE', `/v1/notes/${item.uid}`));
    expectGone(
      await user.call('PUT', `/v1/notes/${item.uid}`, { body: '{' }),
      'note deleted',
      deleted.deletedAt,
    );
  });

  it('PUT: invalid JSON before the If-Match check', async () => {
    const user = await newUser(target());
    const item = await createItem(user, notes);
    const reply = await user.call('PUT', `/v1/notes/${item.uid}`, {
      body: '{',
      headers: { 'If-Match': '7' },
    });
    expectJsonError(reply, 400, 'invalid JSON');
  });

  it('process: invalid UID, then invalid JSON, then 404, then 410, then invalid action', async () => {
    const user = await newUser(target());
    const item = await createItem(user, notes);
    const unknown = randomUUID();
    expectJsonError(
      await user.call('POST', '/v1/notes/nope/process', { body: '{' }),
      400,
      'invalid UID',
    );
    expectJsonError(
      await user.call('POST', `/v1/notes/${unknown}/process`, { body: '{' }),
      400,
      'invalid JSON',
    );
    const missing = await user.call('POST', `/v1/notes/${unknown}/process`, {
      json: { action: 'explode' },
    });
    expectJsonError(missing, 404, /\S/);
    const deleted = itemOf(await user.call('DELETE', `/v1/notes/${item.uid}`));
    const gone = await user.call('POST', `/v1/notes/${item.uid}/process`, {
      json: { action: 'explode' },
    });
    expect(gone.status).toBe(410);
    expect(gone.json).toMatchObject({ deletedAt: deleted.deletedAt });
  });
});

describe('comments: parent validation (B.6, trap 5)', () => {
  type Parents = {
    note: RestItem;
    task: RestItem;
    chat: RestItem;
    deletedNote: RestItem;
    foreignNote: RestItem;
  };
  async function parents(user: User): Promise<Parents> {
    const note = await createItem(user, notes);
    const task = await createItem(user, tasks);
    const chat = await createItem(user, chats);
    const deletedNote = await createItem(user, notes);
    await user.call('DELETE', `/v1/notes/${deletedNote.uid}`);
    const foreignNote = await createItem(await newUser(target()), notes);
    return { note, task, chat, deletedNote, foreignNote };
  }

  const invalid: readonly [string, (p: Parents) => Record<string, unknown>][] = [
    ['parentType "chat"', (p) => ({ parentType: 'chat', parentUid: p.chat.uid })],
    ['parentType missing', (p) => ({ parentUid: p.note.uid })],
    ['parentType "Note" (case matters)', (p) => ({ parentType: 'Note', parentUid: p.note.uid })],
    ['parentType not a string', (p) => ({ parentType: 1, parentUid: p.note.uid })],
    ['parentUid missing', () => ({ parentType: 'note' })],
    ['parentUid not a UUID', () => ({ parentType: 'note', parentUid: 'nope' })],
    ['parentUid unknown', () => ({ parentType: 'note', parentUid: randomUUID() })],
    ['parentType "task" naming a note', (p) => ({ parentType: 'task', parentUid: p.note.uid })],
    ['a soft-deleted parent', (p) => ({ parentType: 'note', parentUid: p.deletedNote.uid })],
    ["another user's note", (p) => ({ parentType: 'note', parentUid: p.foreignNote.uid })],
  ];
  it.each(invalid)(
    'create with %s ⇒ 500 "failed to create comment", nothing stored',
    async (_n, link) => {
      const user = await newUser(target());
      const p = await parents(user);
      const reply = await user.call('POST', '/v1/comments', { json: { content: 'c', ...link(p) } });
      expectJsonError(reply, 500, 'failed to create comment');
      expect(listOf(await user.call('GET', '/v1/comments?includeDeleted=true')).items).toEqual([]);
    },
  );

  it.each(['note', 'task'] as const)('create on a live %s ⇒ 201', async (kind) => {
    const user = await newUser(target());
    const p = await parents(user);
    const reply = await user.call('POST', '/v1/comments', {
      json: { content: 'c', parentType: kind, parentUid: p[kind].uid },
    });
    expect(itemOf(reply, 201).payload).toMatchObject({ parentType: kind, parentUid: p[kind].uid });
  });

  it('PUT without parentType/parentUid ⇒ 500 "failed to update comment" (trap 4), row unchanged', async () => {
    const user = await newUser(target());
    const comment = await createItem(user, comments);
    const reply = await user.call('PUT', `/v1/comments/${comment.uid}`, {
      json: { uid: comment.uid, content: 'edited' },
    });
    expectJsonError(reply, 500, 'failed to update comment');
    expect(itemOf(await user.call('GET', `/v1/comments/${comment.uid}`))).toEqual(comment);
  });

  it('PUT that resends the parent keys ⇒ 200', async () => {
    const user = await newUser(target());
    const comment = await createItem(user, comments);
    const { parentType, parentUid } = comment.payload;
    const reply = await user.call('PUT', `/v1/comments/${comment.uid}`, {
      json: { content: 'edited', parentType, parentUid },
    });
    expect(itemOf(reply).payload).toMatchObject({ content: 'edited', parentType, parentUid });
  });

  it('PATCH keeps the stored parent; patching it to "chat" ⇒ 500 "failed to patch comment"', async () => {
    const user = await newUser(target());
    const comment = await createItem(user, comments);
    const path = `/v1/comments/${comment.uid}`;
    expect(itemOf(await user.call('PATCH', path, { json: { content: 'p' } })).version).toBe(2);
    const chat = await createItem(user, chats);
    expectJsonError(
      await user.call('PATCH', path, { json: { parentType: 'chat', parentUid: chat.uid } }),
      500,
      'failed to patch comment',
    );
  });

  it('once the parent is deleted: DELETE of the comment works (tombstones skip the check)', async () => {
    const user = await newUser(target());
    const comment = await createItem(user, comments);
    await user.call('DELETE', `/v1/notes/${String(comment.payload['parentUid'])}`);
    const deleted = itemOf(await user.call('DELETE', `/v1/comments/${comment.uid}`));
    expect(deleted.deletedAt).toBeDefined();
  });

  it('once the parent is deleted: other comment mutations fail with 500', async () => {
    const user = await newUser(target());
    const comment = await createItem(user, comments);
    await user.call('DELETE', `/v1/notes/${String(comment.payload['parentUid'])}`);
    const path = `/v1/comments/${comment.uid}`;
    expectJsonError(
      await user.call('PATCH', path, { json: { content: 'p' } }),
      500,
      'failed to patch comment',
    );
    expectJsonError(
      await user.call('POST', `${path}/archive`, { json: {} }),
      500,
      'failed to archive comment',
    );
    expectJsonError(
      await user.call('POST', `${path}/process`, { json: { action: 'resolve' } }),
      500,
      'failed to process comment',
    );
    expect(itemOf(await user.call('GET', path))).toEqual(comment);
  });
});

describe('chat messages: chatUid must name a live chat (B.6)', () => {
  const invalid: readonly [string, (user: User) => Promise<Record<string, unknown>>][] = [
    ['chatUid missing', () => Promise.resolve({})],
    ['chatUid not a UUID', () => Promise.resolve({ chatUid: 'nope' })],
    ['chatUid not a string', () => Promise.resolve({ chatUid: 7 })],
    ['chatUid unknown', () => Promise.resolve({ chatUid: randomUUID() })],
    ['chatUid naming a note', async (u) => ({ chatUid: (await createItem(u, notes)).uid })],
    [
      'a soft-deleted chat',
      async (u) => {
        const chat = await createItem(u, chats);
        await u.call('DELETE', `/v1/chats/${chat.uid}`);
        return { chatUid: chat.uid };
      },
    ],
    [
      "another user's chat",
      async () => ({ chatUid: (await createItem(await newUser(target()), chats)).uid }),
    ],
  ];
  it.each(invalid)('create with %s ⇒ 500 "failed to create chat message"', async (_n, link) => {
    const user = await newUser(target());
    const reply = await user.call('POST', '/v1/chat_messages', {
      json: { content: 'm', ...(await link(user)) },
    });
    expectJsonError(reply, 500, 'failed to create chat message');
    expect(listOf(await user.call('GET', '/v1/chat_messages?includeDeleted=true')).items).toEqual(
      [],
    );
  });

  it('PUT without chatUid ⇒ 500 "failed to update chat message" (trap 4), row unchanged', async () => {
    const user = await newUser(target());
    const message = await createItem(user, chatMessages);
    const reply = await user.call('PUT', `/v1/chat_messages/${message.uid}`, {
      json: { uid: message.uid, content: 'edited' },
    });
    expectJsonError(reply, 500, 'failed to update chat message');
    expect(itemOf(await user.call('GET', `/v1/chat_messages/${message.uid}`))).toEqual(message);
  });

  it('PATCH of chatUid to an unknown chat ⇒ 500 "failed to patch chat message"', async () => {
    const user = await newUser(target());
    const message = await createItem(user, chatMessages);
    const reply = await user.call('PATCH', `/v1/chat_messages/${message.uid}`, {
      json: { chatUid: randomUUID() },
    });
    expectJsonError(reply, 500, 'failed to patch chat message');
  });

  it('DELETE of a message whose chat is deleted works', async () => {
    const user = await newUser(target());
    const message = await createItem(user, chatMessages);
    await user.call('DELETE', `/v1/chats/${String(message.payload['chatUid'])}`);
    expect(
      itemOf(await user.call('DELETE', `/v1/chat_messages/${message.uid}`)).deletedAt,
    ).toBeDefined();
  });
});
