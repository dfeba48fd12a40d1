/**
 * TOOLBRIDGE_BACKEND_AUTH=exchange: the request to the API's token exchange (CONTRACT.md E.4),
 * the cache until shortly before `expires_in`, one exchange for concurrent calls, and failures.
 */
import { describe, expect, it } from 'vitest';
import { createTenantVerifier } from '../../src/tenant-headers/index.ts';
import type { ExchangedIdentity } from '../../src/proxy/index.ts';
import { createFakeBackend, SESSION_PATH, type Answer } from './fake-backend.ts';
import {
  T0,
  TENANT_SECRET,
  TOKEN,
  createClock,
  expectNoSecrets,
  rejection,
  unitUpstream,
  type Clock,
} from './setup.ts';

const EXCHANGE_PATH = '/auth/token-exchange';
const AUDIENCE = 'https://toolbridgeapi.example';
const BACKEND_TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJ0b2tlbl90eXBlIjoiYmFja2VuZCJ9.YmFja2VuZA';
const caller: ExchangedIdentity = {
  issued: 'exchange',
  subject: 'user-1',
  tenantId: 'test-tenant-123',
  callerAuthorization: `Bearer ${TOKEN}`,
};
const notes = { method: 'GET', path: '/v1/notes' } as const;
const ok = { status: 200, body: { items: [] } } as const;

const granted = (token = BACKEND_TOKEN, expiresIn = 3600): Answer => ({
  status: 200,
  body: {
    access_token: token,
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    token_type: 'Bearer',
    expires_in: expiresIn,
  },
});

function exchangingUpstream(
  fake: ReturnType<typeof createFakeBackend>,
  clock: Clock = createClock(),
  options: { timeoutMs?: number; toolTimeoutMs?: number } = {},
) {
  return unitUpstream(fake, clock, {
    tokenExchange: { audience: AUDIENCE, timeoutMs: options.timeoutMs },
    ...(options.toolTimeoutMs === undefined ? {} : { toolTimeoutMs: options.toolTimeoutMs }),
  });
}

const exchanges = (fake: ReturnType<typeof createFakeBackend>) =>
  fake.seen.filter((seen) => seen.path === EXCHANGE_PATH);

describe('the token exchange request (E.4)', () => {
  it("sends the caller's token to the exchange only, and the backend token everywhere else", async () => {
    const fake = createFakeBackend();
    const upstream = exchangingUpstream(fake);
    fake.expect('POST', EXCHANGE_PATH, granted());
    fake.expectSession();
    fake.expect('GET', '/v1/notes', ok);

    await upstream.call(notes, caller);

    const [exchange, session, data] = fake.seen;
    expect(exchange!.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      accept: 'application/json',
    });
    expect(exchange!.body).toBe(
      `{"audience":"${AUDIENCE}","grant_type":"urn:ietf:params:oauth:grant-type:token-exchange"}`,
    );
    const verify = createTenantVerifier({ secret: TENANT_SECRET, now: () => T0 });
    expect(verify(exchange!.headers)).toMatchObject({ ok: true, tenantId: caller.tenantId });
    for (const seen of [session!, data!]) {
      expect(seen.headers.authorization).toBe(`Bearer ${BACKEND_TOKEN}`);
      expect(JSON.stringify(seen)).not.toContain(TOKEN);
    }
    expect(session!.headers).not.toHaveProperty('x-debug-sub');
  });

  it('accepts a token_type in any case and an answer without expires_in (kept 5 minutes)', async () => {
    const fake = createFakeBackend();
    const clock = createClock();
    const upstream = exchangingUpstream(fake, clock);
    fake.expect('POST', EXCHANGE_PATH, {
      status: 200,
      body: { access_token: BACKEND_TOKEN, token_type: 'bearer' },
    });
    fake.expectSession();
    fake.expect('GET', '/v1/notes', ok);
    fake.expect('GET', '/v1/notes', ok);
    fake.expect('POST', EXCHANGE_PATH, granted('renewed.token.value'));
    fake.expect('GET', '/v1/notes', ok);

    await upstream.call(notes, caller);
    clock.advance(239_000);
    await upstream.call(notes, caller);
    clock.advance(1_000);
    await upstream.call(notes, caller);

    expect(exchanges(fake)).toHaveLength(2);
  });
});

describe('the exchanged token is cached per user until shortly before expires_in', () => {
  it('exchanges once, then again 60 s before expires_in; the sync session stays', async () => {
    const fake = createFakeBackend();
    const clock = createClock();
    const upstream = exchangingUpstream(fake, clock);
    fake.expect('POST', EXCHANGE_PATH, granted(BACKEND_TOKEN, 600));
    fake.expectSession();
    for (let i = 0; i < 3; i += 1) fake.expect('GET', '/v1/notes', ok);
    fake.expect('POST', EXCHANGE_PATH, granted('second.backend.token', 600));
    fake.expect('GET', '/v1/notes', ok);

    await upstream.call(notes, caller);
    await upstream.call(notes, caller);
    clock.advance(539_000);
    await upstream.call(notes, caller);
    clock.advance(1_000);
    await upstream.call(notes, caller);

    expect(exchanges(fake)).toHaveLength(2);
    expect(fake.seen.filter((seen) => seen.path === SESSION_PATH)).toHaveLength(1);
    expect(fake.seen.at(-1)!.headers.authorization).toBe('Bearer second.backend.token');
  });

  it('shares the token among callers with the same subject and tenant, not with others', async () => {
    const fake = createFakeBackend();
    const upstream = exchangingUpstream(fake);
    fake.expect('POST', EXCHANGE_PATH, granted('token.for.user1'));
    fake.expectSession();
    fake.expect('GET', '/v1/notes', ok);
    // The same user with a refreshed client token: no new exchange.
    fake.expect('GET', '/v1/notes', ok);
    fake.expect('POST', EXCHANGE_PATH, granted('token.for.user2'));
    fake.expectSession(SESSION_PATH, { id: 'session-2' });
    fake.expect('GET', '/v1/notes', ok);

    await upstream.call(notes, caller);
    await upstream.call(notes, { ...caller, callerAuthorization: 'Bearer refreshed.client.token' });
    await upstream.call(notes, { ...caller, subject: 'user-2' });

    expect(exchanges(fake)).toHaveLength(2);
    expect(fake.seen.at(-1)!.headers.authorization).toBe('Bearer token.for.user2');
  });

  it('runs one exchange for concurrent calls of one user', async () => {
    const fake = createFakeBackend();
    const upstream = exchangingUpstream(fake);
    fake.expect('POST', EXCHANGE_PATH, { ...granted(), delayMs: 50 });
    fake.expectSession();
    for (let i = 0; i < 5; i += 1) fake.expect('GET', '/v1/notes', ok);

    await Promise.all(Array.from({ length: 5 }, () => upstream.call(notes, caller)));

    expect(exchanges(fake)).toHaveLength(1);
    expect(fake.seen.filter((seen) => seen.path === SESSION_PATH)).toHaveLength(1);
  });

  it('exchanges again after the API answered 401 to the exchanged token', async () => {
    const fake = createFakeBackend();
    const upstream = exchangingUpstream(fake);
    fake.expect('POST', EXCHANGE_PATH, granted('stale.backend.token'));
    fake.expectSession();
    fake.expect('GET', '/v1/notes', { status: 401, body: 'unauthorized\n' });
    fake.expect('POST', EXCHANGE_PATH, granted('fresh.backend.token'));
    fake.expect('GET', '/v1/notes', ok);

    expect((await rejection(upstream.call(notes, caller))).details.status).toBe(401);
    await upstream.call(notes, caller);

    expect(fake.seen.at(-1)!.headers.authorization).toBe('Bearer fresh.backend.token');
  });
});

describe('exchange failures', () => {
  it.each<[string, Answer, string, string]>([
    [
      '401 from the exchange',
      { status: 401, body: { error: 'invalid or missing token', correlation_id: 'c-1' } },
      'ToolBridge API answered 401 Unauthorized: invalid or missing token (correlation_id c-1)',
      'UPSTREAM_HTTP_ERROR',
    ],
    [
      '404 (an older Go API without the route)',
      { status: 404, body: '404 page not found\n' },
      'ToolBridge API answered 404 Not Found: 404 page not found',
      'UPSTREAM_HTTP_ERROR',
    ],
    [
      'a 200 without access_token',
      { status: 200, body: { token_type: 'Bearer', expires_in: 3600 } },
      'without an access_token',
      'UPSTREAM_BAD_RESPONSE',
    ],
    [
      'a token type other than Bearer',
      { status: 200, body: { access_token: BACKEND_TOKEN, token_type: 'N_A', expires_in: 3600 } },
      'without an access_token',
      'UPSTREAM_BAD_RESPONSE',
    ],
    [
      'a body that is not JSON',
      { status: 200, body: 'access_token=x' },
      'without an access_token',
      'UPSTREAM_BAD_RESPONSE',
    ],
    [
      'an answer that echoes the caller token',
      { status: 400, body: { error: `bad token ${TOKEN}` } },
      'ToolBridge API answered 400 Bad Request: bad token [redacted]',
      'UPSTREAM_HTTP_ERROR',
    ],
  ])(
    '%s → BACKEND_TOKEN_FAILED, then tried again by the next call',
    async (_name, answer, text, reason) => {
      const fake = createFakeBackend();
      const upstream = exchangingUpstream(fake);
      fake.expect('POST', EXCHANGE_PATH, answer);
      fake.expect('POST', EXCHANGE_PATH, granted());
      fake.expectSession();
      fake.expect('GET', '/v1/notes', ok);

      const error = await rejection(upstream.call(notes, caller));
      expect(error.code).toBe('BACKEND_TOKEN_FAILED');
      expect(error.message).toMatch(
        /^Could not get a backend token from the ToolBridge API \(POST \/auth\/token-exchange\): /,
      );
      expect(error.message).toContain(text);
      expect(error.details).toMatchObject({ phase: 'token-exchange', reason });
      expectNoSecrets(error);
      // Data routes were not tried with the caller's token instead.
      expect(fake.seen).toHaveLength(1);

      await upstream.call(notes, caller);
      expect(exchanges(fake)).toHaveLength(2);
    },
  );

  it('gives one exchange its own timeout (E.4: 10 s; here 50 ms): UPSTREAM_TIMEOUT', async () => {
    const fake = createFakeBackend();
    const upstream = exchangingUpstream(fake, createClock(), { timeoutMs: 50 });
    fake.expect('POST', EXCHANGE_PATH, { ...granted(), delayMs: 1_000 });

    const error = await rejection(upstream.call(notes, caller));

    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toBe(
      'Could not get a backend token from the ToolBridge API (POST /auth/token-exchange): ToolBridge API did not answer within 50 ms',
    );
    expect(error.details).toMatchObject({ phase: 'token-exchange' });
  });

  it('ends a waiting call at its own deadline; the exchange goes on and serves the next call', async () => {
    const fake = createFakeBackend();
    const upstream = exchangingUpstream(fake, createClock(), { toolTimeoutMs: 30 });
    fake.expect('POST', EXCHANGE_PATH, { ...granted(), delayMs: 100 });
    fake.expectSession();
    fake.expect('GET', '/v1/notes', ok);

    const error = await rejection(upstream.call(notes, caller));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await upstream.call(notes, caller);

    expect(exchanges(fake)).toHaveLength(1);
    expect(fake.seen.at(-1)!.headers.authorization).toBe(`Bearer ${BACKEND_TOKEN}`);
  });
});
