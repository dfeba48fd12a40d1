/**
 * TOOLBRIDGE_BACKEND_AUTH=mint: the tokens' claims and lifetime, the per-subject cache and its
 * renewal on an injected clock, and what the upstream client sends with them.
 */
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createMinter, type MintOptions } from '../../src/proxy/mint.ts';
import type { MintedIdentity } from '../../src/proxy/index.ts';
import { createFakeBackend, SESSION_PATH } from './fake-backend.ts';
import { T0, createClock, rejection, unitUpstream } from './setup.ts';

const SECRET = 'go-api-hs256-secret-for-mint-tests';
const key = new TextEncoder().encode(SECRET);
const bare = (authorization: string): string => authorization.replace(/^Bearer /, '');

async function claimsOf(authorization: string, nowMs: number) {
  expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  const token = bare(authorization);
  expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
  return (await jwtVerify(token, key, { currentDate: new Date(nowMs) })).payload;
}

const minterAt = (clock = createClock(), options: Partial<MintOptions> = {}, max?: number) =>
  createMinter({ secret: SECRET, ...options }, () => clock.now(), max);

describe('minted tokens: claims', () => {
  it('signs HS256 with the secret: iss, sub, iat, exp 300 s later, token_type, tenant; no nbf, no aud', async () => {
    const minter = minterAt();
    const claims = await claimsOf(minter.authorization('alice', 'tenant-a'), T0);
    expect(claims).toEqual({
      iss: 'toolbridge-mcp',
      sub: 'alice',
      iat: Math.floor(T0 / 1000),
      exp: Math.floor(T0 / 1000) + 300,
      token_type: 'backend',
      tenant_id: 'tenant-a',
    });
  });

  it('carries the issuer and audience a Go API with Auth0 settings requires, and the tenant claim named', async () => {
    const minter = minterAt(createClock(), {
      issuer: 'https://tenant.auth0.example/',
      audience: 'https://toolbridgeapi.example',
      tenantClaim: 'org_id',
    });
    const claims = await claimsOf(minter.authorization('bob', 'org-7'), T0);
    expect(claims).toMatchObject({
      iss: 'https://tenant.auth0.example/',
      aud: 'https://toolbridgeapi.example',
      sub: 'bob',
      org_id: 'org-7',
      token_type: 'backend',
    });
    expect(claims).not.toHaveProperty('tenant_id');
  });

  it('never lets a tenant claim named like a standard claim replace it', async () => {
    const minter = minterAt(createClock(), { tenantClaim: 'sub' });
    expect((await claimsOf(minter.authorization('carol', 'tenant-a'), T0)).sub).toBe('carol');
  });

  it.each([
    ['a shorter lifetime', 30, 30],
    ['the longest lifetime', 300, 300],
  ])('lives as configured: %s', async (_name, lifetimeSeconds, expected) => {
    const minter = minterAt(createClock(), { lifetimeSeconds });
    const claims = await claimsOf(minter.authorization('dave', 't'), T0);
    expect(claims.exp! - claims.iat!).toBe(expected);
  });

  it.each([0, 301, 1.5, -1])(
    'refuses a lifetime of %s seconds (at most 5 minutes)',
    (lifetimeSeconds) => {
      expect(() => minterAt(createClock(), { lifetimeSeconds })).toThrow(
        'Minted backend tokens live 1 to 300 seconds',
      );
    },
  );

  it('refuses an empty secret', () => {
    expect(() => createMinter({ secret: '' }, Date.now)).toThrow('must not be empty');
  });
});

describe('minted tokens: the cache', () => {
  it('returns the very same token until 60 s before its exp, then a new one', () => {
    const clock = createClock();
    const minter = minterAt(clock);
    const first = minter.authorization('alice', 'tenant-a');
    expect(minter.authorization('alice', 'tenant-a')).toBe(first);
    clock.advance(239_000);
    expect(minter.authorization('alice', 'tenant-a')).toBe(first);
    clock.advance(1_000);
    const second = minter.authorization('alice', 'tenant-a');
    expect(second).not.toBe(first);
    expect(minter.authorization('alice', 'tenant-a')).toBe(second);
  });

  it('renews a short-lived token at half its life', () => {
    const clock = createClock();
    const minter = minterAt(clock, { lifetimeSeconds: 30 });
    const first = minter.authorization('alice', 'tenant-a');
    clock.advance(14_000);
    expect(minter.authorization('alice', 'tenant-a')).toBe(first);
    clock.advance(1_000);
    expect(minter.authorization('alice', 'tenant-a')).not.toBe(first);
  });

  it('keeps one token per subject and tenant', async () => {
    const minter = minterAt();
    const tokens = [
      minter.authorization('alice', 'tenant-a'),
      minter.authorization('bob', 'tenant-a'),
      minter.authorization('alice', 'tenant-b'),
      // Not the same pair spelt differently.
      minter.authorization('a', '"tenant'),
    ];
    expect(new Set(tokens).size).toBe(4);
    expect(await claimsOf(tokens[2]!, T0)).toMatchObject({ sub: 'alice', tenant_id: 'tenant-b' });
  });

  it('signs again after forget (the API refused the token)', () => {
    const clock = createClock();
    const minter = minterAt(clock);
    const first = minter.authorization('alice', 'tenant-a');
    clock.advance(1_000);
    expect(minter.authorization('alice', 'tenant-a')).toBe(first);
    minter.forget('alice', 'tenant-a');
    expect(minter.authorization('alice', 'tenant-a')).not.toBe(first);
  });

  it('forgets the least recently used subject beyond its bound', () => {
    const clock = createClock();
    const minter = minterAt(clock, {}, 2);
    const alice = minter.authorization('alice', 't');
    const bob = minter.authorization('bob', 't');
    minter.authorization('alice', 't');
    minter.authorization('carol', 't');
    clock.advance(1_000);
    expect(minter.authorization('alice', 't')).toBe(alice);
    expect(minter.authorization('bob', 't')).not.toBe(bob);
  });
});

const minted: MintedIdentity = { issued: 'mint', subject: 'alice', tenantId: 'tenant-a' };
const notes = { method: 'GET', path: '/v1/notes' } as const;
const ok = { status: 200, body: { items: [] } } as const;

describe('the upstream client with minted identities', () => {
  it('sends the minted token on the session POST and the call, without X-Debug-Sub', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake, createClock(), { mint: { secret: SECRET } });
    fake.expectSession();
    fake.expect('GET', '/v1/notes', ok);

    await upstream.call(notes, minted);

    const [session, data] = fake.seen;
    expect(session!.headers.authorization).toBe(data!.headers.authorization);
    expect(await claimsOf(data!.headers.authorization ?? '', T0)).toMatchObject({
      sub: 'alice',
      tenant_id: 'tenant-a',
      token_type: 'backend',
    });
    expect(session!.headers).not.toHaveProperty('x-debug-sub');
  });

  it('keeps the sync session across a token renewal: sessions are per subject, not per token', async () => {
    const fake = createFakeBackend();
    const clock = createClock();
    const upstream = unitUpstream(fake, clock, { mint: { secret: SECRET } });
    fake.expectSession();
    fake.expect('GET', '/v1/notes', ok);
    fake.expect('GET', '/v1/notes', ok);
    fake.expect('GET', '/v1/notes', ok);

    await upstream.call(notes, minted);
    await upstream.call(notes, minted);
    clock.advance(241_000);
    await upstream.call(notes, minted);

    expect(fake.seen.filter((seen) => seen.path === SESSION_PATH)).toHaveLength(1);
    const sent = fake.seen.slice(1).map((seen) => seen.headers.authorization);
    expect(sent[1]).toBe(sent[0]);
    expect(sent[2]).not.toBe(sent[0]);
    expect(fake.seen.slice(1).map((seen) => seen.headers['x-sync-session'])).toEqual([
      'session-1',
      'session-1',
      'session-1',
    ]);
  });

  it('signs a new token after the API answered 401 to one', async () => {
    const fake = createFakeBackend();
    const clock = createClock();
    const upstream = unitUpstream(fake, clock, { mint: { secret: SECRET } });
    fake.expectSession();
    fake.expect('GET', '/v1/notes', { status: 401, body: 'unauthorized\n' });
    fake.expect('GET', '/v1/notes', ok);

    const error = await rejection(upstream.call(notes, minted));
    expect(error.details.status).toBe(401);
    clock.advance(1_000);
    await upstream.call(notes, minted);

    const [refused, retried] = fake.seen.slice(1).map((seen) => seen.headers.authorization);
    expect(retried).not.toBe(refused);
  });

  it('fails a minted identity on a gateway that was not given a secret, as a configuration error', async () => {
    const fake = createFakeBackend();
    const upstream = unitUpstream(fake);
    const error = await rejection(upstream.call(notes, minted));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(fake.seen).toHaveLength(0);
  });
});
