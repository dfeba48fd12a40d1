/**
 * The identities the benchmark's agent runtime sends: signed once per user, reused, and renewed
 * in the background before they near their expiry; the service key as `keys new` makes it.
 */
import { createHash } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  IDENTITY_TTL_SECONDS,
  benchRuntime,
  dueForRenewal,
  hs256Identities,
  identityPool,
  type SignIdentity,
} from '../../bench/lib/identities.ts';

describe.each([
  { exp: 1_300, now: 1_000, due: false },
  { exp: 1_300, now: 1_239, due: false },
  { exp: 1_300, now: 1_240, due: true },
  { exp: 1_300, now: 1_400, due: true },
])('dueForRenewal(exp $exp, now $now)', ({ exp, now, due }) => {
  it(`is ${due}`, () => {
    expect(dueForRenewal(exp, now)).toBe(due);
  });
});

/** A signer that counts its signatures and names each token by user and iat. */
function countingSigner() {
  const signed: string[] = [];
  const sign: SignIdentity = (user, iat) => {
    signed.push(`${user}@${iat}`);
    return Promise.resolve({ token: `${user}@${iat}`, exp: iat + IDENTITY_TTL_SECONDS });
  };
  return { sign, signed };
}

describe('identityPool', () => {
  it('signs each user once and reuses the token while it is fresh', async () => {
    let now = 1_000_000;
    const { sign, signed } = countingSigner();
    const pool = identityPool(['a', 'b'], sign, () => now);
    await pool.prepare();
    now += 200_000;
    expect([pool.tokenOf(0), pool.tokenOf(1), pool.tokenOf(0)]).toEqual([
      'a@1000',
      'b@1000',
      'a@1000',
    ]);
    expect(signed).toEqual(['a@1000', 'b@1000']);
  });

  it('renews a token within a minute of its exp, handing out the old one meanwhile', async () => {
    let now = 1_000_000;
    const { sign, signed } = countingSigner();
    const pool = identityPool(['a'], sign, () => now);
    await pool.prepare();
    now += (IDENTITY_TTL_SECONDS - 60) * 1000;
    expect(pool.tokenOf(0)).toBe('a@1000');
    await Promise.resolve();
    expect(pool.tokenOf(0)).toBe('a@1240');
    expect(signed).toEqual(['a@1000', 'a@1240']);
  });

  it('refuses a user before prepare()', () => {
    const pool = identityPool(['a'], countingSigner().sign);
    expect(() => pool.tokenOf(0)).toThrow(/prepare/);
  });
});

describe('hs256Identities', () => {
  it('signs sub, the tenant claim, iat and exp = iat + 300 with the secret', async () => {
    const secret = 'a-secret-of-at-least-32-characters!!';
    const sign = hs256Identities(secret, 'tenant_id', 'bench');
    const { token, exp } = await sign('user-7', 1_700_000_000);
    expect(exp).toBe(1_700_000_300);
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      currentDate: new Date(1_700_000_010_000),
    });
    expect(payload).toEqual({ sub: 'user-7', tenant_id: 'bench', iat: 1_700_000_000, exp });
    expect(decodeJwt(token).exp).toBe(exp);
  });
});

describe('benchRuntime', () => {
  it('configures only the sha256 of the key it sends', () => {
    const runtime = benchRuntime('bench');
    const key = /^Bearer (tbk_[0-9a-f]{64})$/.exec(runtime.authorization)?.[1];
    expect(key).toBeDefined();
    const entries: unknown = JSON.parse(runtime.serviceKeys);
    expect(entries).toEqual([
      {
        id: 'bench-runtime',
        sha256: createHash('sha256').update(key!).digest('hex'),
        scopes: ['tools:call'],
        tenants: ['bench'],
      },
    ]);
    expect(runtime.serviceKeys).not.toContain(key!);
    expect(runtime.identitySecret.length).toBeGreaterThanOrEqual(32);
  });
});
