import { describe, expect, it } from 'vitest';
import { createFakeBackend, SESSION_PATH } from './fake-backend.ts';
import { createClock, identity, rejection, T0, unitUpstream } from './setup.ts';

const notes = { method: 'GET', path: '/v1/notes' } as const;
const ok = { status: 200, body: { items: [] } } as const;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('sync sessions are cached per backend identity', () => {
  it('reuses one session for consecutive calls', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    for (let i = 0; i < 3; i += 1) fake.expect('GET', '/v1/notes', ok);

    for (let i = 0; i < 3; i += 1) await upstream.call(notes, identity);

    expect(fake.seen.filter((seen) => seen.path === SESSION_PATH)).toHaveLength(1);
    expect(fake.seen.slice(1).map((seen) => seen.headers['x-sync-session'])).toEqual([
      'session-1',
      'session-1',
      'session-1',
    ]);
  });

  it('keeps separate sessions per token and per tenant', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    const identities = [
      identity,
      { ...identity, authorization: 'Bearer another-token-value' },
      { ...identity, tenantId: 'tenant-2' },
    ];
    for (const [index] of identities.entries()) {
      fake.expectSession(SESSION_PATH, { id: `s${index}` });
      fake.expect('GET', '/v1/notes', ok);
    }
    fake.expect('GET', '/v1/notes', ok);
    fake.expect('GET', '/v1/notes', ok);
    fake.expect('GET', '/v1/notes', ok);

    for (const who of identities) await upstream.call(notes, who);
    for (const who of identities) await upstream.call(notes, who);

    expect(fake.seen.slice(6).map((seen) => seen.headers['x-sync-session'])).toEqual([
      's0',
      's1',
      's2',
    ]);
  });

  it('replaces a session sessionRefreshMarginMs before its expiresAt', async () => {
    const fake = createFakeBackend();
    const clock = createClock();
    const upstream = unitUpstream(fake, clock, { sessionRefreshMarginMs: 60_000 });
    fake.expectSession(SESSION_PATH, { id: 'early', expiresAt: iso(T0 + 30 * 60_000) });
    fake.expect('GET', '/v1/notes', ok);
    fake.expect('GET', '/v1/notes', ok);
    fake.expectSession(SESSION_PATH, { id: 'late' });
    fake.expect('GET', '/v1/notes', ok);

    await upstream.call(notes, identity);
    clock.advance(29 * 60_000 - 1); // 60 001 ms before expiry: still reused
    await upstream.call(notes, identity);
    clock.advance(1); // exactly the margin: replaced
    await upstream.call(notes, identity);

    expect(fake.seen.map((seen) => seen.headers['x-sync-session'] ?? seen.path)).toEqual([
      SESSION_PATH,
      'early',
      'early',
      SESSION_PATH,
      'late',
    ]);
  });

  it('falls back to createdAt + 30 min when expiresAt is missing', async () => {
    const fake = createFakeBackend();
    const clock = createClock();
    const upstream = unitUpstream(fake, clock, { sessionRefreshMarginMs: 0 });
    fake.expect('POST', SESSION_PATH, {
      status: 201,
      body: { id: 'a', epoch: 1, createdAt: iso(T0) },
    });
    fake.expect('GET', '/v1/notes', ok);
    fake.expect('GET', '/v1/notes', ok);
    fake.expectSession(SESSION_PATH, { id: 'b' });
    fake.expect('GET', '/v1/notes', ok);

    await upstream.call(notes, identity);
    clock.advance(30 * 60_000 - 1);
    await upstream.call(notes, identity);
    clock.advance(1);
    await upstream.call(notes, identity);

    expect(fake.seen.filter((seen) => seen.path === SESSION_PATH)).toHaveLength(2);
  });

  it('opens one session for many concurrent calls of the same identity (single-flight)', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expect('POST', SESSION_PATH, {
      status: 201,
      body: { id: 'shared', epoch: 3, createdAt: iso(T0), expiresAt: iso(T0 + 1_800_000) },
      delayMs: 30,
    });
    for (let i = 0; i < 10; i += 1) fake.expect('GET', '/v1/notes', ok);

    const results = await Promise.all(
      Array.from({ length: 10 }, () => upstream.call(notes, identity)),
    );

    expect(results).toHaveLength(10);
    expect(fake.seen.filter((seen) => seen.path === SESSION_PATH)).toHaveLength(1);
    expect(new Set(fake.seen.slice(1).map((seen) => seen.headers['x-sync-epoch']))).toEqual(
      new Set(['3']),
    );
  });

  it('does not cache a failed creation: every waiter fails, the next call tries again', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expect('POST', SESSION_PATH, {
      status: 500,
      body: { error: 'Failed to load epoch', correlation_id: 'c-500' },
      delayMs: 20,
    });
    fake.expectSession();
    fake.expect('GET', '/v1/notes', ok);

    const failures = await Promise.all([
      rejection(upstream.call(notes, identity)),
      rejection(upstream.call(notes, identity)),
    ]);
    expect(failures.map((error) => error.code)).toEqual([
      'UPSTREAM_SESSION_FAILED',
      'UPSTREAM_SESSION_FAILED',
    ]);
    await expect(upstream.call(notes, identity)).resolves.toEqual({ status: 200, body: ok.body });
  });

  it('bounds the cache: the least recently used identity is evicted', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake, undefined, { maxCachedSessions: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => ({
      ...identity,
      authorization: `Bearer token-${name}-0123456789`,
    }));
    // a, b, a, c (evicts b: a was used more recently), a (cached), b (opened again).
    const order = [a, b, a, c, a, b];
    const opens = new Map([
      [0, 'a'],
      [1, 'b'],
      [3, 'c'],
      [5, 'b2'],
    ]);
    for (const [index] of order.entries()) {
      const id = opens.get(index);
      if (id !== undefined) fake.expectSession(SESSION_PATH, { id });
      fake.expect('GET', '/v1/notes', ok);
    }

    for (const who of order) await upstream.call(notes, who!);

    expect(
      fake.seen
        .filter((seen) => seen.path !== SESSION_PATH)
        .map((s) => s.headers['x-sync-session']),
    ).toEqual(['a', 'b', 'a', 'c', 'a', 'b2']);
  });
});

describe('a rejected session is replaced once, and the call retried once', () => {
  const rejections = [
    [
      '428',
      { status: 428, body: { error: 'Invalid or expired sync session.', correlation_id: 'c1' } },
    ],
    [
      '409 epoch_mismatch',
      { status: 409, body: { correlation_id: '', epoch: 2, error: 'epoch_mismatch' } },
    ],
  ] as const;

  it.each(rejections)('%s → new session, same request again', async (_name, answer) => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession(SESSION_PATH, { id: 'old', epoch: 1 });
    fake.expect('POST', '/v1/notes', answer);
    fake.expectSession(SESSION_PATH, { id: 'new', epoch: 2 });
    fake.expect('POST', '/v1/notes', { status: 201, body: { uid: 'n1' } });
    fake.expect('GET', '/v1/notes', ok);

    const created = await upstream.call(
      { method: 'POST', path: '/v1/notes', body: { title: 't' } },
      identity,
    );
    await upstream.call(notes, identity);

    expect(created).toEqual({ status: 201, body: { uid: 'n1' } });
    const data = fake.seen.filter((seen) => seen.path !== SESSION_PATH);
    expect(
      data.map((s) => [s.headers['x-sync-session'], s.headers['x-sync-epoch'], s.body]),
    ).toEqual([
      ['old', '1', '{"title":"t"}'],
      ['new', '2', '{"title":"t"}'],
      ['new', '2', undefined],
    ]);
  });

  it.each(rejections)(
    'a second %s is returned as an error, without a third attempt',
    async (_n, answer) => {
      const fake = createFakeBackend();
      const upstream = unitUpstream(fake);
      fake.expectSession(SESSION_PATH, { id: 'old' });
      fake.expect('GET', '/v1/notes', answer);
      fake.expectSession(SESSION_PATH, { id: 'new' });
      fake.expect('GET', '/v1/notes', answer);

      const error = await rejection(upstream.call(notes, identity));

      expect(error.code).toBe('UPSTREAM_HTTP_ERROR');
      expect(error.details).toMatchObject({ status: answer.status });
      expect(fake.seen).toHaveLength(4);
    },
  );

  it('a 409 that is not epoch_mismatch is an error, not retried', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('GET', '/v1/notes', {
      status: 409,
      body: { error: 'conflict', correlation_id: 'c9' },
    });
    fake.expect('GET', '/v1/notes', ok);

    const error = await rejection(upstream.call(notes, identity));
    expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', details: { status: 409 } });
    // The session was not dropped either.
    await upstream.call(notes, identity);
    expect(fake.seen).toHaveLength(3);
  });

  it('concurrent calls rejected with the same session share one replacement', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession(SESSION_PATH, { id: 'old' });
    fake.expect('GET', '/v1/notes', ok);
    await upstream.call(notes, identity);
    for (let i = 0; i < 3; i += 1) {
      fake.expect('GET', '/v1/notes', (seen) =>
        seen.headers['x-sync-session'] === 'old' ? { status: 428, body: { error: 'gone' } } : ok,
      );
    }
    fake.expect('POST', SESSION_PATH, {
      status: 201,
      body: { id: 'new', epoch: 1, createdAt: iso(T0), expiresAt: iso(T0 + 1_800_000) },
      delayMs: 20,
    });
    for (let i = 0; i < 3; i += 1) fake.expect('GET', '/v1/notes', ok);

    await Promise.all([0, 1, 2].map(() => upstream.call(notes, identity)));

    expect(fake.seen.filter((seen) => seen.path === SESSION_PATH)).toHaveLength(2);
  });
});
