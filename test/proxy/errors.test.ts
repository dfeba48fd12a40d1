import { describe, expect, it } from 'vitest';
import type { UpstreamRequest } from '../../src/proxy/index.ts';
import { createFakeBackend, SESSION_PATH, type Answer } from './fake-backend.ts';
import { TOKEN, expectNoSecrets, identity, rejection, unitUpstream } from './setup.ts';

const getNote: UpstreamRequest = {
  method: 'GET',
  path: '/v1/notes/abc',
  query: [['includeDeleted', 'true']],
};

const systemError = (code: string): Error =>
  Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });

describe('a non-2xx data call is UPSTREAM_HTTP_ERROR with the backend’s own words', () => {
  const cases: [string, Answer, string, Record<string, unknown>][] = [
    [
      'Go JSON error body',
      { status: 404, body: { error: 'note not found', correlation_id: '0b6c-1' } },
      'ToolBridge API answered 404 Not Found for GET /v1/notes/abc: note not found (correlation_id 0b6c-1)',
      { status: 404, backendError: 'note not found', correlationId: '0b6c-1' },
    ],
    [
      'text/plain body, correlation id from the header',
      {
        status: 401,
        body: 'unauthorized\n',
        headers: { 'content-type': 'text/plain; charset=utf-8', 'x-correlation-id': 'c-401' },
      },
      'ToolBridge API answered 401 Unauthorized for GET /v1/notes/abc: unauthorized (correlation_id c-401)',
      { status: 401, backendError: 'unauthorized', correlationId: 'c-401' },
    ],
    [
      '410 body without correlation_id',
      {
        status: 410,
        body: { deletedAt: '2025-11-20T00:00:00Z', error: 'note deleted' },
        headers: { 'x-correlation-id': 'c-410' },
      },
      'ToolBridge API answered 410 Gone for GET /v1/notes/abc: note deleted (correlation_id c-410)',
      { status: 410, backendError: 'note deleted', correlationId: 'c-410' },
    ],
    [
      'an empty correlation_id in the body',
      {
        status: 412,
        body: {
          error: 'version mismatch: version mismatch: expected 1, actual 2',
          correlation_id: '',
        },
        headers: { 'x-correlation-id': 'c-412' },
      },
      'ToolBridge API answered 412 Precondition Failed for GET /v1/notes/abc: version mismatch: version mismatch: expected 1, actual 2 (correlation_id c-412)',
      { status: 412, correlationId: 'c-412' },
    ],
    [
      'empty body, no correlation id',
      { status: 502, body: '' },
      'ToolBridge API answered 502 Bad Gateway for GET /v1/notes/abc',
      { status: 502, backendError: undefined, correlationId: undefined },
    ],
    [
      'a redirect, which is not followed',
      { status: 301, body: '', headers: { location: 'https://elsewhere.test/v1/notes/abc' } },
      'ToolBridge API answered 301 Moved Permanently for GET /v1/notes/abc (redirect to https://elsewhere.test/v1/notes/abc not followed)',
      { status: 301, location: 'https://elsewhere.test/v1/notes/abc' },
    ],
  ];

  it.each(cases)('%s', async (_name, answer, message, details) => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', answer);

    const error = await rejection(upstream.call(getNote, identity));

    expect(error.code).toBe('UPSTREAM_HTTP_ERROR');
    expect(error.message).toBe(message);
    expect(error.details).toMatchObject({ ...details, method: 'GET', path: '/v1/notes/abc' });
    expectNoSecrets(error);
  });

  it('caps a long backend text to one line of about 200 characters', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', {
      status: 500,
      body: `panic:\n${'x'.repeat(1000)}`,
    });

    const error = await rejection(upstream.call(getNote, identity));
    const backendError = String(error.details['backendError']);
    expect(backendError.length).toBeLessThanOrEqual(200);
    expect(backendError).toMatch(/^panic: x+…$/);
    expect(error.message.length).toBeLessThan(300);
  });

  it('scrubs the bearer token and the tenant secret even if the backend echoes them', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', {
      status: 400,
      body: { error: `bad token ${TOKEN} in ${identity.authorization}` },
    });

    const error = await rejection(upstream.call(getNote, identity));
    expect(error.message).toContain('bad token [redacted]');
    expectNoSecrets(error);
  });

  it.each([0, 1, 2])(
    "scrubs the token's segment %i alone, and never names the API's address",
    async (segment) => {
      const fake = createFakeBackend();
      const upstream = unitUpstream(fake);
      fake.expectSession();
      const part = TOKEN.split('.')[segment] ?? '';
      expect(part.length).toBeGreaterThanOrEqual(8);
      fake.expect('GET', '/v1/notes/abc?includeDeleted=true', {
        status: 401,
        body: { error: `could not verify ${part} from http://backend.test` },
      });

      const error = await rejection(upstream.call(getNote, identity));
      expect(error.message).toContain('could not verify [redacted] from [redacted]');
      expect(error.message).not.toContain(part);
      expect(String(error.details['backendError'])).not.toContain(part);
    },
  );

  it('redacts a token that the 200-character clip would cut in half', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    // An ingress echoing the bearer: the token starts inside the clip and runs past its end.
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', {
      status: 401,
      body: { error: `${'y'.repeat(170)} invalid token: ${TOKEN}` },
    });

    const error = await rejection(upstream.call(getNote, identity));
    const backendError = String(error.details['backendError']);
    expect(backendError).toMatch(/invalid token: \[redacted\]$/);
    expect(error.message).toContain('invalid token: [redacted]');
    expect(error.message.includes(TOKEN.slice(0, 8))).toBe(false);
    expectNoSecrets(error);
  });

  it('redacts a secret in a redirect location before clipping it', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', {
      status: 302,
      body: '',
      headers: { location: `https://login.example/${'z'.repeat(150)}?t=${TOKEN}` },
    });

    const error = await rejection(upstream.call(getNote, identity));
    expect(error.message.includes(TOKEN.slice(0, 8))).toBe(false);
    expectNoSecrets(error);
  });
});

describe('an answer larger than the limit', () => {
  it('fails the call with the limit named, not as an unreachable API', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake, undefined, { maxResponseBytes: 1024 });
    fake.expectSession();
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', {
      status: 200,
      body: { uid: 'abc', content: 'x'.repeat(2048) },
    });

    const error = await rejection(upstream.call(getNote, identity));
    expect(error.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(error.message).toBe(
      'ToolBridge API answer to GET /v1/notes/abc is larger than the gateway accepts (1024 bytes, TOOLBRIDGE_UPSTREAM_MAX_RESPONSE_BYTES)',
    );
    expect(error.details).toMatchObject({ method: 'GET', path: '/v1/notes/abc', limit: 1024 });
  });
});

describe('session creation failures', () => {
  const cases: [string, Answer, string, Record<string, unknown>][] = [
    [
      '401 from the backend',
      {
        status: 401,
        body: 'unauthorized\n',
        headers: { 'content-type': 'text/plain', 'x-correlation-id': 'c-s' },
      },
      'Could not open a ToolBridge sync session: ToolBridge API answered 401 Unauthorized: unauthorized (correlation_id c-s)',
      { reason: 'UPSTREAM_HTTP_ERROR', status: 401, backendError: 'unauthorized' },
    ],
    [
      'a body that is not JSON',
      { status: 201, body: '<html>', headers: { 'x-correlation-id': 'c-h' } },
      'Could not open a ToolBridge sync session: ToolBridge API answered 201 Created for POST /v1/sync/sessions with a body that is not JSON (correlation_id c-h)',
      { reason: 'UPSTREAM_BAD_RESPONSE', status: 201 },
    ],
    [
      'no id',
      { status: 201, body: { epoch: 1 } },
      'Could not open a ToolBridge sync session: ToolBridge API answered 201 Created for POST /v1/sync/sessions without a session id and an integer epoch',
      { reason: 'UPSTREAM_BAD_RESPONSE' },
    ],
    [
      'an epoch that is not an integer',
      { status: 201, body: { id: 's', epoch: '1' } },
      'Could not open a ToolBridge sync session: ToolBridge API answered 201 Created for POST /v1/sync/sessions without a session id and an integer epoch',
      { reason: 'UPSTREAM_BAD_RESPONSE' },
    ],
  ];

  it.each(cases)('%s → UPSTREAM_SESSION_FAILED', async (_name, answer, message, details) => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expect('POST', SESSION_PATH, answer);

    const error = await rejection(upstream.call(getNote, identity));

    expect(error.code).toBe('UPSTREAM_SESSION_FAILED');
    expect(error.message).toBe(message);
    expect(error.details).toMatchObject({ ...details, phase: 'session' });
    expectNoSecrets(error);
  });

  it('accepts any 2xx for session creation', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expect('POST', SESSION_PATH, { status: 200, body: { id: 's200', epoch: 4 } });
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', { status: 200, body: {} });

    await upstream.call(getNote, identity);
    expect(fake.seen[1]!.headers).toMatchObject({ 'x-sync-session': 's200', 'x-sync-epoch': '4' });
  });

  it('a refused connection on the session POST is UPSTREAM_UNREACHABLE (phase session)', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectError('POST', SESSION_PATH, systemError('ECONNREFUSED'));

    const error = await rejection(upstream.call(getNote, identity));

    expect(error.code).toBe('UPSTREAM_UNREACHABLE');
    expect(error.message).toBe(
      'ToolBridge API is unreachable for POST /v1/sync/sessions (ECONNREFUSED)',
    );
    expect(error.details).toMatchObject({ phase: 'session', errorCode: 'ECONNREFUSED' });
  });
});

describe('other data-call failures', () => {
  it('a 2xx whose body is not JSON is UPSTREAM_BAD_RESPONSE', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', {
      status: 200,
      body: 'not json',
      headers: { 'x-correlation-id': 'c-bad' },
    });

    const error = await rejection(upstream.call(getNote, identity));

    expect(error.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(error.message).toBe(
      'ToolBridge API answered 200 OK for GET /v1/notes/abc with a body that is not JSON (correlation_id c-bad)',
    );
  });

  it('a 204 has a null body', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('DELETE', '/v1/notes/abc', { status: 204, body: '' });

    await expect(
      upstream.call({ method: 'DELETE', path: '/v1/notes/abc' }, identity),
    ).resolves.toEqual({ status: 204, body: null });
  });

  it.each(['ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH'])(
    '%s on the data call is UPSTREAM_UNREACHABLE naming the request, not the origin',
    async (code) => {
      const fake = createFakeBackend();
      const upstream = unitUpstream(fake);
      fake.expectSession();
      fake.expectError('GET', '/v1/notes/abc?includeDeleted=true', systemError(code));

      const error = await rejection(upstream.call(getNote, identity));

      expect(error.code).toBe('UPSTREAM_UNREACHABLE');
      expect(error.message).toBe(`ToolBridge API is unreachable for GET /v1/notes/abc (${code})`);
      expect(error.details).toMatchObject({ errorCode: code });
      expect(JSON.stringify(error.details)).not.toContain('backend.test');
    },
  );

  it('a socket error wrapped by undici still names the system code', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    const wrapped = Object.assign(new Error('other side closed', { cause: systemError('EPIPE') }), {
      code: 'UND_ERR_SOCKET',
    });
    fake.expectError('GET', '/v1/notes/abc?includeDeleted=true', wrapped);

    const error = await rejection(upstream.call(getNote, identity));
    expect(error).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', details: { errorCode: 'EPIPE' } });
  });
});

describe('deadline and cancellation', () => {
  it('the data call taking longer than toolTimeoutMs is UPSTREAM_TIMEOUT', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake, undefined, { toolTimeoutMs: 50 });
    fake.expectSession();
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', {
      status: 200,
      body: {},
      delayMs: 10_000,
    });

    const started = performance.now();
    const error = await rejection(upstream.call(getNote, identity));

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toBe('ToolBridge API did not answer within 50 ms');
    expect(error.details).toMatchObject({ timeoutMs: 50, method: 'GET', path: '/v1/notes/abc' });
  });

  it('a slow session POST counts against the same deadline', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake, undefined, { toolTimeoutMs: 50 });
    fake.expect('POST', SESSION_PATH, { status: 201, body: { id: 's', epoch: 1 }, delayMs: 1_000 });

    const error = await rejection(upstream.call(getNote, identity));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('covers session creation and the data call together', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake, undefined, { toolTimeoutMs: 120 });
    // Each alone fits in the deadline; both together do not.
    fake.expect('POST', SESSION_PATH, { status: 201, body: { id: 's', epoch: 1 }, delayMs: 80 });
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', { status: 200, body: {}, delayMs: 80 });

    const error = await rejection(upstream.call(getNote, identity));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('an aborted caller signal is UPSTREAM_CANCELLED', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expectSession();
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', {
      status: 200,
      body: {},
      delayMs: 10_000,
    });
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 30);

    const started = performance.now();
    const error = await rejection(upstream.call(getNote, identity, { signal: controller.signal }));

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe('UPSTREAM_CANCELLED');
    expect(error.message).toBe('The ToolBridge API request was cancelled');
  });

  it('an already aborted signal sends nothing', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);

    const error = await rejection(
      upstream.call(getNote, identity, { signal: AbortSignal.abort() }),
    );

    expect(error.code).toBe('UPSTREAM_CANCELLED');
    expect(fake.seen).toEqual([]);
  });

  it('one caller giving up does not abort a session creation others wait for', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expect('POST', SESSION_PATH, {
      status: 201,
      body: { id: 'shared', epoch: 1 },
      delayMs: 60,
    });
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', { status: 200, body: { ok: true } });
    const controller = new AbortController();

    const cancelled = rejection(upstream.call(getNote, identity, { signal: controller.signal }));
    const patient = upstream.call(getNote, identity);
    setTimeout(() => {
      controller.abort();
    }, 10);

    expect((await cancelled).code).toBe('UPSTREAM_CANCELLED');
    await expect(patient).resolves.toEqual({ status: 200, body: { ok: true } });
  });
});

describe('cancelling the last waiter of a session creation', () => {
  it('aborts the session POST; the next call opens a new one', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    fake.expect('POST', SESSION_PATH, {
      status: 201,
      body: { id: 'never', epoch: 1 },
      delayMs: 10_000,
    });
    fake.expectSession(SESSION_PATH, { id: 'fresh' });
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', { status: 200, body: {} });
    const first = new AbortController();
    const second = new AbortController();

    const calls = [first, second].map((controller) =>
      rejection(upstream.call(getNote, identity, { signal: controller.signal })),
    );
    setTimeout(() => {
      first.abort();
    }, 10);
    setTimeout(() => {
      second.abort();
    }, 20);
    const started = performance.now();
    expect((await Promise.all(calls)).map((error) => error.code)).toEqual([
      'UPSTREAM_CANCELLED',
      'UPSTREAM_CANCELLED',
    ]);
    await upstream.call(getNote, identity);

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(fake.seen[2]!.headers['x-sync-session']).toBe('fresh');
  });
});

describe('resources', () => {
  it('leaves no timer behind once calls have settled', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    fake.expectSession();
    for (let i = 0; i < 5; i += 1)
      fake.expect('GET', '/v1/notes/abc?includeDeleted=true', { status: 200, body: {} });
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', { status: 404, body: { error: 'x' } });
    const before = timers();

    for (let i = 0; i < 5; i += 1) await upstream.call(getNote, identity);
    await rejection(upstream.call(getNote, identity));
    await rejection(upstream.call(getNote, identity, { signal: AbortSignal.abort() }));

    expect(timers()).toBe(before);
  });

  it('close() leaves an injected dispatcher to its owner', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    await upstream.close();
    await upstream.close();
    fake.expectSession();
    fake.expect('GET', '/v1/notes/abc?includeDeleted=true', { status: 200, body: {} });
    await expect(upstream.call(getNote, identity)).resolves.toMatchObject({ status: 200 });
  });
});
