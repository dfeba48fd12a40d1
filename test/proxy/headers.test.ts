import { describe, expect, it } from 'vitest';
import { createTenantVerifier, fromWireValue } from '../../src/tenant-headers/index.ts';
import { createFakeBackend, SESSION_PATH, type Seen } from './fake-backend.ts';
import { T0, TENANT_SECRET, createClock, identity, unitUpstream } from './setup.ts';

const verify = createTenantVerifier({ secret: TENANT_SECRET, now: () => T0 });

function expectSigned(seen: Seen, tenantId = identity.tenantId): number {
  const result = verify(seen.headers);
  expect(result).toMatchObject({ ok: true, tenantId });
  if (!result.ok) throw new Error('unreachable');
  return result.timestampMs;
}

describe('headers on each upstream request (CONTRACT.md A.2, A.3)', () => {
  it('session POST: Authorization, X-Debug-Sub, X-TB-*, correlation id, no body', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake, createClock(T0, 1));
    fake.expectSession();
    fake.expect('POST', '/v1/notes', { status: 201, body: { uid: 'n1' } });

    await upstream.call(
      { method: 'POST', path: '/v1/notes', body: { title: 'Hi', content: 'x', tags: ['a'] } },
      identity,
      { correlationId: 'corr-1' },
    );

    const [session, data] = fake.seen;
    expect(session!.headers).toMatchObject({
      authorization: identity.authorization,
      'x-debug-sub': 'user-1',
      'x-correlation-id': 'corr-1',
    });
    expect(session!.headers).not.toHaveProperty('content-type');
    expect(session!.headers).not.toHaveProperty('x-sync-session');
    expect(session!.body).toBeUndefined();
    expectSigned(session!);

    expect(data!.headers).toMatchObject({
      authorization: identity.authorization,
      'x-sync-session': 'session-1',
      'x-sync-epoch': '1',
      'content-type': 'application/json',
      'x-correlation-id': 'corr-1',
    });
    expect(data!.headers).not.toHaveProperty('x-debug-sub');
    expect(data!.headers).not.toHaveProperty('if-match');
    expect(data!.headers['user-agent']).toMatch(/^toolbridge-mcp/);
    // Compact JSON, key order as given.
    expect(data!.body).toBe('{"title":"Hi","content":"x","tags":["a"]}');
    expect(expectSigned(data!)).toBeGreaterThan(expectSigned(session!));
  });

  it('sends no Content-Type and no body without a body, and no correlation id when none is given', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('DELETE', '/v1/notes/n1', { status: 200, body: { uid: 'n1' } });

    await upstream.call({ method: 'DELETE', path: '/v1/notes/n1' }, identity);

    const data = fake.seen[1]!;
    expect(data.body).toBeUndefined();
    expect(data.headers).not.toHaveProperty('content-type');
    expect(data.headers).not.toHaveProperty('x-correlation-id');
    expect(fake.seen[0]!.headers).not.toHaveProperty('x-correlation-id');
  });

  it.each([
    [undefined, undefined],
    [0, '0'],
    [7, '7'],
  ])('If-Match %j is sent as %j (unquoted decimal)', async (ifMatch, header) => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('PUT', '/v1/notes/n1', { status: 200, body: {} });

    await upstream.call(
      {
        method: 'PUT',
        path: '/v1/notes/n1',
        body: { uid: 'n1' },
        ...(ifMatch === undefined ? {} : { ifMatch }),
      },
      identity,
    );

    expect(fake.seen[1]!.headers['if-match']).toBe(header);
  });

  it('signs every request, retries included, with its own fresh timestamp', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake, createClock(T0, 1));
    fake.expectSession(SESSION_PATH, { id: 's1' });
    fake.expect('GET', '/v1/notes', {
      status: 428,
      body: { error: 'Invalid or expired sync session.' },
    });
    fake.expectSession(SESSION_PATH, { id: 's2' });
    fake.expect('GET', '/v1/notes', { status: 200, body: { items: [] } });
    fake.expect('GET', '/v1/tasks', { status: 200, body: { items: [] } });

    await upstream.call({ method: 'GET', path: '/v1/notes' }, identity);
    await upstream.call({ method: 'GET', path: '/v1/tasks' }, identity);

    const stamps = fake.seen.map((seen) => expectSigned(seen));
    expect(new Set(stamps).size).toBe(5);
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    expect(new Set(fake.seen.map((seen) => seen.headers['x-tb-signature'])).size).toBe(5);
    expect(fake.seen.filter((seen) => 'x-debug-sub' in seen.headers).map((s) => s.path)).toEqual([
      SESSION_PATH,
      SESSION_PATH,
    ]);
  });

  it('sends a non-ASCII tenant id and subject as UTF-8 bytes that verify (trap 8)', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    const tenant = { ...identity, tenantId: 'mandant-ü-日本', subject: 'usér-1' };
    fake.expectSession();
    fake.expect('GET', '/v1/notes', { status: 200, body: { items: [] } });

    await upstream.call({ method: 'GET', path: '/v1/notes' }, tenant);

    for (const seen of fake.seen) expectSigned(seen, 'mandant-ü-日本');
    expect(fromWireValue(fake.seen[0]!.headers['x-debug-sub']!)).toBe('usér-1');
  });

  it('signs for each identity’s own tenant', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    const other = { ...identity, tenantId: 'other-tenant' };
    fake.expectSession(SESSION_PATH, { id: 'a' });
    fake.expect('GET', '/v1/notes', { status: 200, body: {} });
    fake.expectSession(SESSION_PATH, { id: 'b' });
    fake.expect('GET', '/v1/notes', { status: 200, body: {} });

    await upstream.call({ method: 'GET', path: '/v1/notes' }, identity);
    await upstream.call({ method: 'GET', path: '/v1/notes' }, other);

    expect(fake.seen.map((seen) => verify(seen.headers))).toMatchObject([
      { tenantId: 'test-tenant-123' },
      { tenantId: 'test-tenant-123' },
      { tenantId: 'other-tenant' },
      { tenantId: 'other-tenant' },
    ]);
    expect(fake.seen[3]!.headers['x-sync-session']).toBe('b');
  });
});
