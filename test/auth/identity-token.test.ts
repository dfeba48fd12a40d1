import {
  SignJWT,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createIdentityVerifier,
  type IdentityVerifierOptions,
} from '../../src/auth/identity-token.ts';
import { JWKS_FAILURE_COOLDOWN_MS } from '../../src/auth/verifier.ts';
import { AppError, type ErrorCode } from '../../src/errors.ts';

const SECRET = 'identity-secret-SENTINEL-0123456789abcdef';
const OTHER_SECRET = 'platform-rotated-secret-SENTINEL-fedcba98';
const NOW = Date.UTC(2026, 0, 15, 12);
const T = Math.floor(NOW / 1000);
const HEADER = 'x-toolbridge-user';

/** A fresh five-minute identity for alice at acme, with changes. */
const claims = (changes: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'alice',
  tenant_id: 'acme',
  iat: T - 10,
  exp: T + 290,
  ...changes,
});

/** Claims left undefined are left out, as JSON leaves them. */
const hs256 = (payload: Record<string, unknown>, secret = SECRET, alg = 'HS256') =>
  new SignJWT(
    Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined)),
  )
    .setProtectedHeader({ alg, typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));

const options: IdentityVerifierOptions = {
  header: HEADER,
  secret: SECRET,
  tenantClaim: 'tenant_id',
  maxTtlSeconds: 300,
  now: () => NOW,
};

async function refusal(
  verify: ReturnType<typeof createIdentityVerifier>,
  value: string | undefined,
  tenants?: readonly string[],
): Promise<AppError> {
  try {
    await verify(value, tenants);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the identity to be refused');
}

const unsigned = [
  Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url'),
  Buffer.from(JSON.stringify(claims())).toString('base64url'),
  '',
].join('.');

describe('identity tokens signed with TOOLBRIDGE_IDENTITY_SECRET', () => {
  const verify = createIdentityVerifier(options);

  it('yields the user: subject, tenant and expiry', async () => {
    expect(await verify(await hs256(claims()))).toEqual({
      subject: 'alice',
      tenantId: 'acme',
      expiresAt: T + 290,
    });
  });

  it('accepts a lifetime of exactly the maximum, and surrounding whitespace', async () => {
    const token = await hs256(claims({ iat: T, exp: T + 300 }));
    expect((await verify(` ${token} `)).expiresAt).toBe(T + 300);
  });

  const cases: [string, () => Promise<string | undefined>, ErrorCode][] = [
    ['no header', () => Promise.resolve(undefined), 'IDENTITY_MISSING'],
    ['an empty header', () => Promise.resolve(' '), 'IDENTITY_MISSING'],
    ['a Bearer prefix', async () => `Bearer ${await hs256(claims())}`, 'IDENTITY_INVALID'],
    ['not a JWT', () => Promise.resolve('alice@acme'), 'IDENTITY_INVALID'],
    ['alg none', () => Promise.resolve(unsigned), 'IDENTITY_INVALID'],
    ['HS512, though with the secret', () => hs256(claims(), SECRET, 'HS512'), 'IDENTITY_INVALID'],
    ['another secret', () => hs256(claims(), OTHER_SECRET), 'IDENTITY_SIGNATURE'],
    [
      'a payload changed after signing',
      async () => {
        const [head, , signature] = (await hs256(claims())).split('.');
        const forged = Buffer.from(JSON.stringify(claims({ sub: 'mallory' }))).toString(
          'base64url',
        );
        return `${head}.${forged}.${signature}`;
      },
      'IDENTITY_SIGNATURE',
    ],
    ['no exp', () => hs256(claims({ exp: undefined })), 'IDENTITY_INVALID'],
    ['no iat', () => hs256(claims({ iat: undefined })), 'IDENTITY_INVALID'],
    ['an exp that is text', () => hs256({ ...claims(), exp: 'soon' }), 'IDENTITY_INVALID'],
    ['expired beyond the leeway', () => hs256(claims({ exp: T - 31 })), 'IDENTITY_EXPIRED'],
    ['a lifetime of 301 s', () => hs256(claims({ iat: T, exp: T + 301 })), 'IDENTITY_TTL_TOO_LONG'],
    [
      'a one-day identity pasted into a config',
      () => hs256(claims({ iat: T - 3600, exp: T + 82_800 })),
      'IDENTITY_TTL_TOO_LONG',
    ],
    [
      'five minutes issued tomorrow',
      () => hs256(claims({ iat: T + 86_400, exp: T + 86_700 })),
      'IDENTITY_INVALID',
    ],
    ['not valid before later', () => hs256(claims({ nbf: T + 120 })), 'IDENTITY_INVALID'],
    ['no sub', () => hs256(claims({ sub: undefined })), 'IDENTITY_INVALID'],
    ['an empty sub', () => hs256(claims({ sub: '' })), 'IDENTITY_INVALID'],
    ['a numeric sub', () => hs256({ ...claims(), sub: 42 }), 'IDENTITY_INVALID'],
    ['no tenant claim', () => hs256(claims({ tenant_id: undefined })), 'TENANT_UNRESOLVED'],
    ['a tenant list', () => hs256(claims({ tenant_id: ['acme'] })), 'TENANT_FORBIDDEN'],
  ];

  it.each(cases)('refuses %s → %s, never quoting token or secret', async (_what, make, code) => {
    const value = await make();
    const error = await refusal(verify, value);
    expect(error.code).toBe(code);
    const shown = `${error.message} ${JSON.stringify(error.details)}`;
    expect(shown).not.toContain('SENTINEL');
    for (const part of value?.split('.') ?? []) {
      if (part.length > 8) expect(shown).not.toContain(part);
    }
  });

  it('says which check failed, naming the header', async () => {
    const messages = await Promise.all(
      [
        Promise.resolve(undefined),
        hs256(claims(), OTHER_SECRET),
        hs256(claims({ exp: T - 60 })),
        hs256(claims({ iat: T, exp: T + 86_400 })),
        hs256(claims({ exp: undefined })),
        hs256(claims({ nbf: T + 120 })),
      ].map(async (made) => (await refusal(verify, await made)).message),
    );
    expect(messages).toEqual([
      'the x-toolbridge-user header is required with a service key',
      "the x-toolbridge-user token's signature does not verify",
      'the x-toolbridge-user token has expired',
      'the x-toolbridge-user token lives 86400 s, more than the 300 s TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS allows',
      "the x-toolbridge-user token has no 'exp' claim",
      "the x-toolbridge-user token's 'nbf' claim is not accepted",
    ]);
  });

  it('carries what the drift report and doctor need in the details', async () => {
    expect((await refusal(verify, await hs256(claims(), OTHER_SECRET))).details).toEqual({
      source: 'secret',
    });
    expect((await refusal(verify, await hs256(claims({ exp: T - 60 })))).details).toEqual({
      expiresAt: T - 60,
    });
    const long = await refusal(verify, await hs256(claims({ iat: T, exp: T + 900 })));
    expect(long.details).toEqual({ lifetimeSeconds: 900, maxTtlSeconds: 300 });
  });

  it('tolerates 30 s of clock difference on exp', async () => {
    expect((await verify(await hs256(claims({ exp: T - 20 })))).subject).toBe('alice');
  });

  it('applies the gateway tenant rule: a pinned tenant refuses identities for another', async () => {
    const pinned = createIdentityVerifier({ ...options, pinnedTenant: 'acme' });
    expect((await pinned(await hs256(claims({ tenant_id: undefined })))).tenantId).toBe('acme');
    const other = await refusal(pinned, await hs256(claims({ tenant_id: 'globex' })));
    expect(other.code).toBe('TENANT_FORBIDDEN');
    expect(other.message).toBe(
      "the x-toolbridge-user identity: this gateway serves another tenant than the token's tenant_id",
    );
  });

  it("refuses a tenant outside the key's tenants with 403's code, and serves one inside", async () => {
    const globex = await hs256(claims({ tenant_id: 'globex' }));
    const error = await refusal(verify, globex, ['acme']);
    expect(error.code).toBe('TENANT_FORBIDDEN');
    expect(error.message).toBe("this service key may not act for the identity's tenant");
    expect((await verify(globex, ['acme', 'globex'])).tenantId).toBe('globex');
  });

  it('reads the tenant from the configured claim', async () => {
    const org = createIdentityVerifier({ ...options, tenantClaim: 'org' });
    expect((await org(await hs256(claims({ org: 'initech' })))).tenantId).toBe('initech');
  });
});

describe('identity tokens verified by the JWKS', () => {
  async function keyPair(kid: string, alg: 'RS256' | 'ES256' = 'ES256') {
    const { publicKey, privateKey } = await generateKeyPair(alg);
    const jwk = { ...(await exportJWK(publicKey)), kid, alg };
    const sign = (payload: JWTPayload) =>
      new SignJWT(payload).setProtectedHeader({ alg, kid }).sign(privateKey);
    return { jwk, sign };
  }
  const idp = { issuer: 'https://idp.example', audience: 'toolbridge' };

  it('accepts a token from a key in the set, with issuer and audience checked', async () => {
    const key = await keyPair('k1', 'RS256');
    const verify = createIdentityVerifier({
      ...options,
      secret: undefined,
      jwks: createLocalJWKSet({ keys: [key.jwk] }),
      ...idp,
    });
    const token = await key.sign(claims({ iss: idp.issuer, aud: idp.audience }));
    expect(await verify(token)).toEqual({ subject: 'alice', tenantId: 'acme', expiresAt: T + 290 });
    const elsewhere = await key.sign(claims({ iss: 'https://other.example', aud: idp.audience }));
    expect((await refusal(verify, elsewhere)).code).toBe('IDENTITY_INVALID');
  });

  it('calls a key the set does not hold a signature failure, from the JWKS', async () => {
    const [held, rotated] = await Promise.all([keyPair('k1'), keyPair('k2')]);
    const verify = createIdentityVerifier({
      ...options,
      jwks: createLocalJWKSet({ keys: [held.jwk] }),
    });
    const error = await refusal(verify, await rotated.sign(claims()));
    expect(error.code).toBe('IDENTITY_SIGNATURE');
    expect(error.details).toEqual({ source: 'jwks' });
    // The secret still serves HS256 identities beside the set.
    expect((await verify(await hs256(claims()))).subject).toBe('alice');
  });

  it('refuses an asymmetric token when no JWKS is configured', async () => {
    const key = await keyPair('k1');
    const error = await refusal(createIdentityVerifier(options), await key.sign(claims()));
    expect(error.code).toBe('IDENTITY_INVALID');
    expect(error.message).toBe(
      "the x-toolbridge-user token's algorithm is not accepted (accepted: HS256)",
    );
  });

  it('answers AUTH_UNAVAILABLE while the key set cannot be fetched, and fetches again after a cool-down', async () => {
    const key = await keyPair('k1');
    let clock = NOW;
    let fetches = 0;
    let working = false;
    const local = createLocalJWKSet({ keys: [key.jwk] });
    const jwks: JWTVerifyGetKey = (header, token) => {
      fetches += 1;
      if (!working) throw new TypeError('fetch failed');
      return local(header, token);
    };
    const verify = createIdentityVerifier({ ...options, jwks, now: () => clock });
    const token = await key.sign(claims());
    expect((await refusal(verify, token)).code).toBe('AUTH_UNAVAILABLE');
    expect((await refusal(verify, token)).code).toBe('AUTH_UNAVAILABLE');
    expect(fetches).toBe(1);
    working = true;
    clock += JWKS_FAILURE_COOLDOWN_MS;
    expect((await verify(token)).subject).toBe('alice');
    expect(fetches).toBe(2);
  });
});

describe('remembered identities', () => {
  /** A verifier whose key set counts the signature checks it serves. */
  async function counted(clock: () => number) {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const local = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] });
    let checks = 0;
    const jwks: JWTVerifyGetKey = (header, token) => {
      checks += 1;
      return local(header, token);
    };
    const verify = createIdentityVerifier({ ...options, secret: undefined, jwks, now: clock });
    const sign = (payload: JWTPayload) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
    return { verify, sign, checks: () => checks };
  }

  it('checks a token once while it lives, and again no later than its exp plus the leeway', async () => {
    let clock = NOW;
    const { verify, sign, checks } = await counted(() => clock);
    const token = await sign(claims());
    for (let call = 0; call < 5; call += 1) expect((await verify(token)).subject).toBe('alice');
    expect(checks()).toBe(1);
    // Another user's token is its own entry.
    expect((await verify(await sign(claims({ sub: 'bob' })))).subject).toBe('bob');
    expect(checks()).toBe(2);
    clock = (T + 290 + 30) * 1000 - 1;
    expect((await verify(token)).subject).toBe('alice');
    expect(checks()).toBe(2);
    clock += 1;
    expect((await refusal(verify, token)).code).toBe('IDENTITY_EXPIRED');
    expect(checks()).toBe(3);
  });

  it("applies each service key's tenants to a remembered token", async () => {
    const { verify, sign, checks } = await counted(() => NOW);
    const token = await sign(claims());
    expect((await verify(token, ['acme'])).tenantId).toBe('acme');
    expect((await refusal(verify, token, ['globex'])).code).toBe('TENANT_FORBIDDEN');
    expect((await verify(token)).tenantId).toBe('acme');
    expect(checks()).toBe(1);
  });

  it('remembers no refusal: a token refused for its tenant or lifetime is refused every time', async () => {
    const { verify, sign, checks } = await counted(() => NOW);
    const long = await sign(claims({ iat: T, exp: T + 86_400 }));
    expect((await refusal(verify, long)).code).toBe('IDENTITY_TTL_TOO_LONG');
    expect((await refusal(verify, long)).code).toBe('IDENTITY_TTL_TOO_LONG');
    expect(checks()).toBe(2);
  });
});
