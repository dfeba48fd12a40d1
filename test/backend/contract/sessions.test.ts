/** CONTRACT.md B.4: sync sessions, SessionRequired, EpochRequired, wipe and state. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newUser, type User } from './client.ts';
import { chatMessages, comments, createItem, notes, tasks } from './entities.ts';
import {
  RFC3339_NANO,
  expectJsonError,
  expectTextError,
  itemOf,
  listOf,
  nanosOf,
  record,
  sessionBody,
} from './shapes.ts';
import { useTarget } from './target.ts';

const target = useTarget();

const NO_SESSION =
  'X-Sync-Session header required. Please call POST /v1/sync/sessions to begin a session.';
const BAD_SESSION =
  'Invalid or expired sync session. Please call POST /v1/sync/sessions to begin a new session.';
const FOREIGN_SESSION = 'Session does not belong to authenticated user.';

describe('POST /v1/sync/sessions (B.4)', () => {
  it('answers 201 with X-Sync-Epoch and {id, userId, createdAt, expiresAt, epoch}', async () => {
    const user = await newUser(target(), { session: false });
    const reply = await user.bare('POST', '/v1/sync/sessions');
    expect(reply.status, reply.text).toBe(201);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['x-sync-epoch']).toBe('1');
    const body = sessionBody.parse(reply.json);
    expect(body.epoch).toBe(1);
    // userId is the server's app_user UUID, not the JWT sub
    expect(body.userId).not.toBe(user.sub);
    // The Go API reads the clock twice (createdAt, then now + 30 min): a real one answers 30 min
    // plus 41–180 ns. Up to 1 ms more is accepted; less than 30 min never.
    const lifetime = nanosOf(body.expiresAt) - nanosOf(body.createdAt);
    expect(lifetime >= 30n * 60n * 1_000_000_000n).toBe(true);
    expect(lifetime <= 30n * 60n * 1_000_000_000n + 1_000_000n).toBe(true);
    expect(Math.abs(Date.parse(body.createdAt) - Date.now())).toBeLessThan(300_000);
  });

  it('creates a new session each time; earlier sessions stay valid', async () => {
    const user = await newUser(target());
    const first = user.session;
    const second = await user.startSession();
    expect(second.id).not.toBe(first.id);
    expect((await user.call('GET', '/v1/notes')).status).toBe(200);
    user.session = first;
    expect((await user.call('GET', '/v1/notes')).status).toBe(200);
  });
});

describe('GET/DELETE /v1/sync/sessions/{id} (B.4)', () => {
  it('GET of an own session ⇒ 200 with the session JSON', async () => {
    const user = await newUser(target(), { session: false });
    const created = await user.bare('POST', '/v1/sync/sessions');
    const id = sessionBody.parse(created.json).id;
    const reply = await user.bare('GET', `/v1/sync/sessions/${id}`);
    expect(reply.status, reply.text).toBe(200);
    expect(sessionBody.parse(reply.json)).toEqual(sessionBody.parse(created.json));
  });

  const unknownIds: readonly [string, string][] = [
    ['an unknown UUID', randomUUID()],
    ['a non-UUID id', 'no-such-session'],
  ];
  it.each(unknownIds)('GET of %s ⇒ 404 text', async (_n, id) => {
    const user = await newUser(target(), { session: false });
    expectTextError(
      await user.bare('GET', `/v1/sync/sessions/${id}`),
      404,
      'session not found or expired',
    );
  });
  it.each(unknownIds)('DELETE of %s ⇒ 404 text', async (_n, id) => {
    const user = await newUser(target(), { session: false });
    expectTextError(
      await user.bare('DELETE', `/v1/sync/sessions/${id}`),
      404,
      'session not found or expired',
    );
  });

  it('GET/DELETE of another user\'s session ⇒ 403 text "forbidden"; it stays usable', async () => {
    const owner = await newUser(target());
    const other = await newUser(target(), { session: false });
    const path = `/v1/sync/sessions/${owner.session.id}`;
    expectTextError(await other.bare('GET', path), 403, 'forbidden');
    expectTextError(await other.bare('DELETE', path), 403, 'forbidden');
    expect((await owner.bare('GET', path)).status).toBe(200);
    expect((await owner.call('GET', '/v1/notes')).status).toBe(200);
  });

  it('DELETE of an own session ⇒ 204 empty; afterwards it is gone everywhere', async () => {
    const user = await newUser(target());
    const path = `/v1/sync/sessions/${user.session.id}`;
    const reply = await user.bare('DELETE', path);
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expectTextError(await user.bare('GET', path), 404, 'session not found or expired');
    expectTextError(await user.bare('DELETE', path), 404, 'session not found or expired');
    expectJsonError(await user.call('GET', '/v1/notes'), 428, BAD_SESSION);
  });
});

describe('SessionRequired (B.4)', () => {
  const uid = randomUUID();
  const routes: readonly [string, string][] = [
    ['GET', '/v1/notes'],
    ['POST', '/v1/tasks'],
    ['GET', `/v1/comments/${uid}`],
    ['PUT', `/v1/chats/${uid}`],
    ['PATCH', `/v1/chat_messages/${uid}`],
    ['DELETE', `/v1/notes/${uid}`],
    ['POST', `/v1/tasks/${uid}/archive`],
    ['POST', `/v1/comments/${uid}/process`],
    ['GET', '/v1/notes/not-a-uuid'],
    ['POST', '/v1/sync/wipe'],
    ['GET', '/v1/sync/state'],
  ];
  const bodyFor = (method: string) =>
    method === 'GET' || method === 'DELETE' ? {} : { json: { confirm: 'WIPE' } };

  it.each(routes)('%s %s without X-Sync-Session ⇒ 428', async (method, path) => {
    const user = await newUser(target());
    const reply = await user.call(method, path, {
      ...bodyFor(method),
      headers: { 'X-Sync-Session': null, 'X-Sync-Epoch': null },
    });
    expectJsonError(reply, 428, NO_SESSION);
  });

  it.each(routes)('%s %s with an empty X-Sync-Session ⇒ 428 (missing)', async (method, path) => {
    const user = await newUser(target());
    const reply = await user.call(method, path, {
      ...bodyFor(method),
      headers: { 'X-Sync-Session': '' },
    });
    expectJsonError(reply, 428, NO_SESSION);
  });

  const badIds: readonly [string, string][] = [
    ['an unknown UUID', randomUUID()],
    ['a non-UUID value', 'bogus'],
  ];
  it.each(badIds)('%s as X-Sync-Session ⇒ 428 invalid or expired', async (_n, id) => {
    const user = await newUser(target());
    for (const [method, path] of routes) {
      const reply = await user.call(method, path, {
        ...bodyFor(method),
        headers: { 'X-Sync-Session': id },
      });
      expectJsonError(reply, 428, BAD_SESSION);
    }
  });

  it.each(routes)("%s %s with another user's session ⇒ 403 JSON", async (method, path) => {
    const user = await newUser(target());
    const other = await newUser(target());
    const reply = await user.call(method, path, {
      ...bodyFor(method),
      headers: { 'X-Sync-Session': other.session.id },
    });
    expectJsonError(reply, 403, FOREIGN_SESSION);
  });
});

describe('EpochRequired (B.4)', () => {
  const epochBody = z.strictObject({
    correlation_id: z.string(),
    epoch: z.number().int(),
    error: z.literal('epoch_mismatch'),
  });

  const stale: readonly [string, string | null][] = [
    ['missing', null],
    ['"0"', '0'],
    ['negative', '-1'],
    ['not an integer', 'abc'],
    ['a decimal', '1.0'],
  ];
  it.each(stale)(
    'X-Sync-Epoch %s ⇒ 409 epoch_mismatch with the server epoch',
    async (_n, value) => {
      const user = await newUser(target());
      const reply = await user.call('GET', '/v1/notes', { headers: { 'X-Sync-Epoch': value } });
      expect(reply.status, reply.text).toBe(409);
      expect(reply.headers['x-sync-epoch']).toBe('1');
      const body = epochBody.parse(reply.json);
      expect(body).toEqual({ correlation_id: '', epoch: 1, error: 'epoch_mismatch' });
      // Go encodes the map with sorted keys
      expect(Object.keys(record.parse(reply.json))).toEqual(['correlation_id', 'epoch', 'error']);
      // the response X-Correlation-ID is overwritten with the (absent ⇒ empty) request value
      expect(reply.headers['x-correlation-id'] ?? '').toBe('');
    },
  );

  it("echoes the request's X-Correlation-ID in the 409 body and header", async () => {
    const user = await newUser(target());
    const reply = await user.call('GET', '/v1/notes', {
      headers: { 'X-Sync-Epoch': null, 'X-Correlation-ID': 'corr-epoch-409' },
    });
    expect(reply.status).toBe(409);
    expect(epochBody.parse(reply.json).correlation_id).toBe('corr-epoch-409');
    expect(reply.headers['x-correlation-id']).toBe('corr-epoch-409');
  });

  it.each(['1', '2', '99'])('X-Sync-Epoch %s ≥ server epoch 1 ⇒ allowed', async (value) => {
    const user = await newUser(target());
    const reply = await user.call('GET', '/v1/notes', { headers: { 'X-Sync-Epoch': value } });
    expect(reply.status, reply.text).toBe(200);
  });
});

const wipeBody = z.strictObject({
  epoch: z.number().int(),
  deleted: z.strictObject({
    chat_message: z.number().int(),
    comment: z.number().int(),
    chat: z.number().int(),
    task: z.number().int(),
    note: z.number().int(),
  }),
});
const stateBody = z.strictObject({
  epoch: z.number().int(),
  lastWipeAt: z.string().regex(RFC3339_NANO).optional(),
  lastWipeBy: z.string().optional(),
});

const wipe = (user: User) =>
  user.call('POST', '/v1/sync/wipe', {
    json: { confirm: 'WIPE' },
    headers: { 'X-Sync-Epoch': null }, // wipe has no epoch check
  });

describe('POST /v1/sync/wipe (B.4)', () => {
  it('bumps the epoch to 2, deletes every row and reports the counts', async () => {
    const user = await newUser(target());
    // one row of each entity: the comment brings its note, the message its chat
    const comment = await createItem(user, comments);
    const message = await createItem(user, chatMessages);
    const task = await createItem(user, tasks);

    const reply = await wipe(user);
    expect(reply.status, reply.text).toBe(200);
    expect(wipeBody.parse(reply.json)).toEqual({
      epoch: 2,
      deleted: { chat_message: 1, comment: 1, chat: 1, task: 1, note: 1 },
    });

    const session = await user.startSession();
    expect(session.epoch).toBe(2);
    for (const [path, uid] of [
      ['comments', comment.uid],
      ['chat_messages', message.uid],
      ['tasks', task.uid],
      ['notes', String(comment.payload['parentUid'])],
    ]) {
      expect((await user.call('GET', `/v1/${path!}/${uid!}`)).status).toBe(404);
      expect(listOf(await user.call('GET', `/v1/${path!}?includeDeleted=true`)).items).toEqual([]);
    }
  });

  it('deletes all sessions of the user, and only of that user', async () => {
    const user = await newUser(target());
    const older = user.session;
    const newer = await user.startSession();
    const bystander = await newUser(target());
    const kept = await createItem(bystander, notes);

    expect((await wipe(user)).status).toBe(200);
    for (const session of [older, newer]) {
      user.session = session;
      expectJsonError(await user.call('GET', '/v1/notes'), 428, BAD_SESSION);
      expectTextError(
        await user.bare('GET', `/v1/sync/sessions/${session.id}`),
        404,
        'session not found or expired',
      );
    }
    expect(itemOf(await bystander.call('GET', `/v1/notes/${kept.uid}`))).toEqual(kept);
  });

  it('makes the old epoch stale: a new session must send the new epoch', async () => {
    const user = await newUser(target());
    await wipe(user);
    const created = await user.bare('POST', '/v1/sync/sessions');
    expect(created.headers['x-sync-epoch']).toBe('2');
    await user.startSession();
    const reply = await user.call('GET', '/v1/notes', { headers: { 'X-Sync-Epoch': '1' } });
    expect(reply.status).toBe(409);
    expect(reply.headers['x-sync-epoch']).toBe('2');
    expect((await user.call('GET', '/v1/notes')).status).toBe(200);
  });

  it('a second wipe sets epoch 3', async () => {
    const user = await newUser(target());
    await wipe(user);
    await user.startSession();
    const reply = await wipe(user);
    expect(wipeBody.parse(reply.json).epoch).toBe(3);
  });

  const unconfirmed: readonly [string, string | undefined][] = [
    ['no body', undefined],
    ['{}', '{}'],
    ['lower-case "wipe"', '{"confirm":"wipe"}'],
    ['confirm: true', '{"confirm":true}'],
  ];
  it.each(unconfirmed)('without {"confirm":"WIPE"} (%s) nothing is wiped', async (_n, body) => {
    const user = await newUser(target());
    const note = await createItem(user, notes);
    const reply = await user.call('POST', '/v1/sync/wipe', body === undefined ? {} : { body });
    // CONTRACT.md B.4 says only that the confirmation is required, not which 4xx status Go uses.
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(itemOf(await user.call('GET', `/v1/notes/${note.uid}`))).toEqual(note);
    expect(stateBody.parse((await user.call('GET', '/v1/sync/state')).json).epoch).toBe(1);
  });
});

describe('GET /v1/sync/state (B.4)', () => {
  it('is {epoch:1} for a new user, without any epoch header', async () => {
    const user = await newUser(target());
    const reply = await user.call('GET', '/v1/sync/state', { headers: { 'X-Sync-Epoch': null } });
    expect(reply.status, reply.text).toBe(200);
    expect(stateBody.parse(reply.json)).toEqual({ epoch: 1 });
  });

  it('reports the epoch after a wipe', async () => {
    const user = await newUser(target());
    await wipe(user);
    await user.startSession();
    const reply = await user.call('GET', '/v1/sync/state');
    expect(reply.status, reply.text).toBe(200);
    expect(stateBody.parse(reply.json).epoch).toBe(2);
  });
});
