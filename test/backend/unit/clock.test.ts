import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startBackend } from '../../../src/backend/index.ts';
import { onCleanup } from '../../helpers/loopback.ts';

/** Behaviour that depends on time, driven by a frozen clock the embedded API is given. */

const JWT_SECRET = 'clock-test-jwt-secret';
const key = new TextEncoder().encode(JWT_SECRET);
const T0 = Date.UTC(2025, 10, 20);

async function frozenBackend() {
  let clock = T0;
  const backend = await startBackend({ port: 0, jwtSecret: JWT_SECRET, now: () => clock });
  onCleanup(() => backend.close());
  const token = await new SignJWT({ sub: 'clock-user' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(T0 / 1000)
    .setExpirationTime(T0 / 1000 + 3600)
    .sign(key);
  const call = async (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ) => {
    const response = await fetch(backend.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, text: await response.text() };
  };
  const session = async () => {
    const created = await call('POST', '/v1/sync/sessions');
    const body: unknown = JSON.parse(created.text);
    if (
      typeof body !== 'object' ||
      body === null ||
      !('id' in body) ||
      typeof body.id !== 'string'
    ) {
      throw new Error('no session id');
    }
    return { id: body.id, text: created.text };
  };
  return {
    call,
    session,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('sessions expire after 30 minutes', () => {
  it('serves the session up to its expiry instant, then answers 404 and 428', async () => {
    const { call, session, advance } = await frozenBackend();
    const { id, text } = await session();
    expect(JSON.parse(text)).toMatchObject({
      createdAt: '2025-11-20T00:00:00Z',
      expiresAt: '2025-11-20T00:30:00Z',
    });
    const headers = { 'x-sync-session': id, 'x-sync-epoch': '1' };

    advance(30 * 60 * 1000);
    expect((await call('GET', `/v1/sync/sessions/${id}`)).status).toBe(200);
    expect((await call('GET', '/v1/notes', headers)).status).toBe(200);

    advance(1);
    expect(await call('GET', `/v1/sync/sessions/${id}`)).toEqual({
      status: 404,
      text: 'session not found or expired\n',
    });
    const rest = await call('GET', '/v1/notes', headers);
    expect(rest.status).toBe(428);
    expect(rest.text).toContain('Invalid or expired sync session.');
  });
});

describe('JWT time claims use the same clock', () => {
  it('accepts a token until exp, then answers 401', async () => {
    const { call, advance } = await frozenBackend();
    expect((await call('POST', '/v1/sync/sessions')).status).toBe(201);
    advance(3600 * 1000 + 1000);
    expect(await call('POST', '/v1/sync/sessions')).toEqual({
      status: 401,
      text: 'unauthorized\n',
    });
  });
});

describe('mutations get strictly increasing timestamps', () => {
  it('moves updatedAt on by 1 ms per mutation while the clock stands still', async () => {
    const { call, session } = await frozenBackend();
    const { id } = await session();
    const headers = { 'x-sync-session': id, 'x-sync-epoch': '1' };
    const created = await call('POST', '/v1/notes', headers, '{"title":"t"}');
    const { uid } = z.object({ uid: z.string() }).parse(JSON.parse(created.text));
    const first = await call('PATCH', `/v1/notes/${uid}`, headers, '{"a":1}');
    const second = await call('PATCH', `/v1/notes/${uid}`, headers, '{"a":2}');
    expect(JSON.parse(created.text)).toMatchObject({
      version: 1,
      updatedAt: '2025-11-20T00:00:00Z',
    });
    expect(JSON.parse(first.text)).toMatchObject({
      version: 2,
      updatedAt: '2025-11-20T00:00:00.001Z',
    });
    expect(JSON.parse(second.text)).toMatchObject({
      version: 3,
      updatedAt: '2025-11-20T00:00:00.002Z',
    });
  });
});
