import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/errors.ts';
import type { SessionRecord } from '../../src/store/session-record.ts';
import type { SessionGone, SessionStore } from '../../src/store/session-store.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { memoryHarness, redisHarness, type Harness } from './harness.ts';

/** The same rules, checked against each store: memory (fake clock) and Redis (a real server). */

let server: RedisServer | undefined;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.close();
});

const harnesses: Harness[] = [
  memoryHarness(),
  redisHarness(() => {
    if (server === undefined) throw new Error('redis-server did not start');
    return server;
  }),
];

const ALICE = 'tenant-a\u0000alice';
const BOB = 'tenant-a\u0000bob';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.SENTINEL-TOKEN.sig';
const LIMITS = { max: 100, maxPerOwner: 100 };

function record(owner: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    owner,
    kind: 'streamable',
    protocolVersion: '2025-06-18',
    clientInfo: { name: 'inspector', version: '1.2.3', title: 'MCP Inspector' },
    capabilities: { sampling: {}, roots: { listChanged: true } },
    createdAt: 1_750_000_000_000,
    lastUsedAt: 0,
    ...overrides,
  };
}

/** Collects what a store announces, for `vi.waitFor`. */
function heard(store: SessionStore): SessionGone[] {
  const gone: SessionGone[] = [];
  store.onGone((event) => gone.push(event));
  return gone;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  if (error instanceof AppError) return error;
  throw error;
}

describe.each(harnesses)('session store: $name', (harness) => {
  afterEach(() => harness.cleanup());

  it('creates, reads, touches and deletes a session', async () => {
    const [store] = await harness.replicas(LIMITS);
    const input = record(ALICE, { kind: 'sse', holder: 'machine-1' });
    const created = await store.create(input);
    expect(created).toEqual({ ...input, lastUsedAt: created.lastUsedAt });
    expect(created.lastUsedAt).toBeGreaterThan(0);
    expect(await store.get(input.id, ALICE)).toEqual(created);
    const touched = await store.touch(input.id, ALICE);
    expect(touched?.lastUsedAt).toBeGreaterThanOrEqual(created.lastUsedAt);
    expect(await store.count()).toBe(1);
    expect(await store.count('sse')).toBe(1);
    expect(await store.count('streamable')).toBe(0);
    expect(await store.delete(input.id)).toBe(true);
    expect(await store.get(input.id, ALICE)).toBeUndefined();
    expect(await store.touch(input.id, ALICE)).toBeUndefined();
    expect(await store.delete(input.id)).toBe(false);
    expect(await store.count()).toBe(0);
  });

  it("binds a session to its owner: another principal's id looks unknown", async () => {
    const [store, other] = await harness.replicas(LIMITS);
    const { id } = await store.create(record(ALICE));
    for (const replica of [store, other]) {
      expect(await replica.get(id, BOB)).toBeUndefined();
      expect(await replica.touch(id, BOB)).toBeUndefined();
      expect(await replica.get(id, ALICE)).toMatchObject({ id, owner: ALICE });
    }
    expect(await store.get('no-such-session', ALICE)).toBeUndefined();
  });

  it('slides the idle time with each touch, and expires a session left idle', async () => {
    const [store, other] = await harness.replicas(LIMITS);
    const gone = heard(other);
    const { id } = await store.create(record(ALICE));
    const step = harness.idleMs / 2;
    // Two steps without a touch would outlast the idle time; the touches keep it alive.
    await harness.advance(step);
    expect(await store.touch(id, ALICE)).toBeDefined();
    await harness.advance(step);
    expect(await other.touch(id, ALICE)).toBeDefined();
    await harness.advance(step);
    expect(await store.get(id, ALICE)).toBeDefined();
    // get is not a use: the idle time keeps running from the last touch.
    await harness.advance(harness.idleMs + 1200);
    expect(await store.get(id, ALICE)).toBeUndefined();
    expect(await store.count()).toBe(0);
    await store.sweep();
    await vi.waitFor(() => {
      expect(gone).toContainEqual({ id, reason: 'expired' });
    });
  });

  it('keeps a session with an open stream however long it is quiet, until the stream ends', async () => {
    const [store, other] = await harness.replicas(LIMITS);
    const gone = heard(other);
    const listening = await store.create(record(ALICE, { kind: 'sse' }));
    const quiet = await store.create(record(ALICE));
    const release = store.hold(listening.id, ALICE);
    await harness.advance(harness.idleMs + 1200);
    await store.sweep();
    await vi.waitFor(() => {
      expect(gone).toEqual([{ id: quiet.id, reason: 'expired' }]);
    });
    expect(await other.get(listening.id, ALICE)).toBeDefined();
    release();
    release(); // a second call changes nothing
    // Once the stream has ended, the idle time counts from its end.
    await harness.advance(harness.idleMs / 2);
    expect(await other.get(listening.id, ALICE)).toBeDefined();
    await harness.advance(harness.idleMs + 1200);
    await store.sweep();
    await vi.waitFor(() => {
      expect(gone).toContainEqual({ id: listening.id, reason: 'expired' });
    });
  });

  it('a held session does not shield idle sessions from the sweep', async () => {
    const [store] = await harness.replicas(LIMITS);
    const gone = heard(store);
    const listening = await store.create(record(ALICE, { kind: 'sse' }));
    const idle = [await store.create(record(ALICE)), await store.create(record(BOB))];
    store.hold(listening.id, ALICE);
    // Another principal cannot hold it: the hold is the owner's.
    store.hold(idle[1]!.id, ALICE);
    await harness.advance(harness.idleMs + 1200);
    await store.sweep();
    await vi.waitFor(() => {
      expect(gone).toHaveLength(2);
    });
    expect(gone).toEqual(expect.arrayContaining(idle.map(({ id }) => ({ id, reason: 'expired' }))));
    expect(await store.count()).toBe(1);
  });

  it("evicts the owner's least recently used session at its cap, whichever replica made it", async () => {
    const [a, b] = await harness.replicas({ max: 100, maxPerOwner: 2 });
    const gone = heard(a);
    const bobs = await a.create(record(BOB));
    const first = await a.create(record(ALICE));
    const second = await b.create(record(ALICE));
    await harness.advance(5);
    expect(await b.touch(first.id, ALICE)).toBeDefined();
    const third = await a.create(record(ALICE));
    await vi.waitFor(() => {
      expect(gone).toEqual([{ id: second.id, reason: 'evicted' }]);
    });
    expect(await b.get(second.id, ALICE)).toBeUndefined();
    for (const { id, owner } of [first, third, bobs]) {
      expect(await b.get(id, owner)).toBeDefined();
    }
    expect(await a.count()).toBe(3);
  });

  it('evicts the least recently used session of all at the global cap', async () => {
    const [a, b] = await harness.replicas({ max: 3, maxPerOwner: 3 });
    const gone = heard(b);
    const owners = ['t\u0000one', 't\u0000two', 't\u0000three', 't\u0000four'];
    const made: SessionRecord[] = [];
    for (const owner of owners.slice(0, 3)) {
      made.push(await a.create(record(owner, { kind: made.length === 1 ? 'sse' : 'streamable' })));
      await harness.advance(5);
    }
    expect(await b.touch(made[0]!.id, made[0]!.owner)).toBeDefined();
    await harness.advance(5);
    await b.create(record(owners[3]!));
    await vi.waitFor(() => {
      expect(gone).toEqual([{ id: made[1]!.id, reason: 'evicted' }]);
    });
    expect(await a.count()).toBe(3);
    expect(await a.count('sse')).toBe(0);
  });

  it('tells every replica at once when a session is deleted', async () => {
    const [a, b] = await harness.replicas(LIMITS);
    const goneA = heard(a);
    const goneB = heard(b);
    const { id } = await a.create(record(ALICE));
    expect(await b.delete(id)).toBe(true);
    await vi.waitFor(() => {
      expect(goneA).toEqual([{ id, reason: 'deleted' }]);
      expect(goneB).toEqual([{ id, reason: 'deleted' }]);
    });
    expect(await a.get(id, ALICE)).toBeUndefined();
  });

  it('never takes an id twice: live, deleted or evicted', async () => {
    const [a, b] = await harness.replicas({ max: 100, maxPerOwner: 1 });
    const live = await a.create(record(ALICE));
    expect((await rejection(b.create(record(BOB, { id: live.id })))).code).toBe('SESSION_ID_TAKEN');
    await a.delete(live.id);
    expect((await rejection(b.create(record(ALICE, { id: live.id })))).code).toBe(
      'SESSION_ID_TAKEN',
    );
    const evicted = await a.create(record(BOB));
    await a.create(record(BOB));
    expect(await a.get(evicted.id, BOB)).toBeUndefined();
    expect((await rejection(b.create(record(BOB, { id: evicted.id })))).code).toBe(
      'SESSION_ID_TAKEN',
    );
  });

  it("keeps no token: what is stored is the record's own fields", async () => {
    const [store] = await harness.replicas(LIMITS);
    // A principal spread into the record by mistake must not take its token along.
    const principal = { owner: ALICE, token: TOKEN, authorization: `Bearer ${TOKEN}` };
    const created = await store.create({ ...record(ALICE), ...principal });
    expect(JSON.stringify(created)).not.toContain('SENTINEL');
    expect(JSON.stringify(await store.get(created.id, ALICE))).not.toContain('SENTINEL');
    const stored = await harness.dump();
    if (stored !== undefined) {
      expect(stored).toContain(created.id);
      expect(stored).not.toContain('SENTINEL');
    }
  });
});
