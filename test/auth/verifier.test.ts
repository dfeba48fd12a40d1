import { createServer } from 'node:http';
import { SignJWT, errors, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearerChallenge, resourceMetadata } from '../../src/auth/metadata.ts';
import {
  JWKS_FAILURE_COOLDOWN_MS,
  createClientVerifier,
  type VerifierOptions,
} from '../../src/auth/verifier.ts';
import { AppError, type ErrorCode } from '../../src/errors.ts';
import { listen } from '../helpers/loopback.ts';

const SECRET = 'go-api-hs256-secret-for-tests';
const NOW = Date.UTC(2025, 10, 20);
const seconds = (ms: number) => Math.floor(ms / 1000);

const hs256 = (claims: JWTPayload, secret = SECRET, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));

const base: VerifierOptions = {
  mode: 'jwt',
  jwtSecret: SECRET,
  tenantClaim: 'tenant_id',
  now: () => NOW,
};

async function failure(
  verify: ReturnType<typeof createClientVerifier>,
  header: string | undefined,
) {
  try {
    await verify(header);
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the token to be refused');
}

describe('HS256 verification', () => {
  const verify = createClientVerifier({ ...base, pinnedTenant: 'tenant-a' });

  it('normalises the scheme to the one spelling the Go API accepts', async () => {
    const token = await hs256({ sub: 'user-1' });
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `Bearer  ${token}`]) {
      expect((await verify(header)).authorization).toBe(`Bearer ${token}`);
    }
  });

  it('accepts a valid token and forwards it as Bearer <token>', async () => {
    const token = await hs256({ sub: 'user-1', exp: seconds(NOW) + 60 });
    expect(await verify(`Bearer ${token}`)).toEqual({
      subject: 'user-1',
      tenantId: 'tenant-a',
      authorization: `Bearer ${token}`,
      expiresAt: seconds(NOW) + 60,
    });
  });

  it('accepts the other HMAC algorithms the Go API accepts', async () => {
    const token = await hs256({ sub: 'user-1' }, SECRET, 'HS512');
    expect((await verify(`Bearer ${token}`)).subject).toBe('user-1');
  });

  const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"user-1"}').toString('base64url')}.`;
  const cases: [string, () => Promise<string | undefined>, ErrorCode][] = [
    ['no header', () => Promise.resolve(undefined), 'TOKEN_MISSING'],
    ['an empty header', () => Promise.resolve(''), 'TOKEN_MISSING'],
    ['another scheme', () => Promise.resolve('Basic dXNlcjpwYXNz'), 'TOKEN_INVALID'],
    ['not a JWT', () => Promise.resolve('Bearer not-a-jwt'), 'TOKEN_INVALID'],
    ['alg none', () => Promise.resolve(`Bearer ${unsigned}`), 'TOKEN_INVALID'],
    [
      'the wrong key',
      async () => `Bearer ${await hs256({ sub: 'u' }, 'another-secret')}`,
      'TOKEN_INVALID',
    ],
    [
      'expired beyond the leeway',
      async () => `Bearer ${await hs256({ sub: 'u', exp: seconds(NOW) - 31 })}`,
      'TOKEN_EXPIRED',
    ],
    [
      'not yet valid',
      async () => `Bearer ${await hs256({ sub: 'u', nbf: seconds(NOW) + 120 })}`,
      'TOKEN_INVALID',
    ],
    ['no sub', async () => `Bearer ${await hs256({ tenant_id: 'tenant-a' })}`, 'TOKEN_INVALID'],
    [
      'another tenant',
      async () => `Bearer ${await hs256({ sub: 'u', tenant_id: 'tenant-b' })}`,
      'TENANT_FORBIDDEN',
    ],
  ];

  it.each(cases)('refuses %s → %s', async (_name, header, code) => {
    const token = await header();
    const refused = await failure(verify, token);
    expect(refused.code).toBe(code);
    if (token !== undefined && token.length > 20)
      expect(refused.message).not.toContain(token.slice(7));
  });

  it('tolerates a small clock difference', async () => {
    const token = await hs256({ sub: 'u', exp: seconds(NOW) - 10 });
    expect((await verify(`Bearer ${token}`)).subject).toBe('u');
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createClientVerifier({
      ...base,
      issuer: 'https://idp.example',
      audience: 'toolbridge',
    });
    const good = await hs256({
      sub: 'u',
      tenant_id: 't',
      iss: 'https://idp.example',
      aud: 'toolbridge',
    });
    expect((await strict(`Bearer ${good}`)).tenantId).toBe('t');
    const wrongIssuer = await hs256({
      sub: 'u',
      tenant_id: 't',
      iss: 'https://evil.example',
      aud: 'toolbridge',
    });
    expect((await failure(strict, `Bearer ${wrongIssuer}`)).code).toBe('TOKEN_INVALID');
    const wrongAudience = await hs256({
      sub: 'u',
      tenant_id: 't',
      iss: 'https://idp.example',
      aud: 'other',
    });
    expect((await failure(strict, `Bearer ${wrongAudience}`)).message).toContain("'aud'");
  });
});

describe('tenant resolution', () => {
  it('takes the tenant from the claim when none is pinned', async () => {
    const verify = createClientVerifier(base);
    expect(
      (await verify(`Bearer ${await hs256({ sub: 'u', tenant_id: 'from-claim' })}`)).tenantId,
    ).toBe('from-claim');
  });

  it('uses the configured claim name', async () => {
    const verify = createClientVerifier({ ...base, tenantClaim: 'org_id' });
    expect((await verify(`Bearer ${await hs256({ sub: 'u', org_id: 'org-1' })}`)).tenantId).toBe(
      'org-1',
    );
  });

  it('refuses a token without a tenant when none is pinned, saying how to fix it', async () => {
    const refused = await failure(
      createClientVerifier(base),
      `Bearer ${await hs256({ sub: 'u' })}`,
    );
    expect(refused).toEqual({
      code: 'TENANT_UNRESOLVED',
      message: "no tenant: TOOLBRIDGE_TENANT_ID is not set and the token has no 'tenant_id' claim",
    });
  });

  it.each<[string, unknown]>([
    ['an array', ['tenant-b']],
    ['an array of the pinned tenant', ['p']],
    ['a number', 2],
    ['an object', { id: 'tenant-b' }],
    ['an empty string', ''],
    ['null', null],
    ['true', true],
  ])('refuses a tenant claim that is %s, pinned or not', async (_name, claimed) => {
    for (const pinnedTenant of ['p', undefined]) {
      const verify = createClientVerifier({ ...base, pinnedTenant });
      const refused = await failure(
        verify,
        `Bearer ${await hs256({ sub: 'u', tenant_id: claimed })}`,
      );
      expect(refused).toEqual({
        code: 'TENANT_FORBIDDEN',
        message: "the token's 'tenant_id' claim must be a non-empty string",
      });
    }
  });

  it('accepts a token naming the pinned tenant or none', async () => {
    const verify = createClientVerifier({ ...base, pinnedTenant: 'p' });
    expect((await verify(`Bearer ${await hs256({ sub: 'u', tenant_id: 'p' })}`)).tenantId).toBe(
      'p',
    );
    expect((await verify(`Bearer ${await hs256({ sub: 'u' })}`)).tenantId).toBe('p');
  });
});

/** A verifier with only a JWKS (at `origin`/jwks), issuer and audience set, pinned to `t`. */
const jwksVerifier = (origin: string, now?: () => number) =>
  createClientVerifier({
    mode: 'jwt',
    jwksUrl: `${origin}/jwks`,
    issuer: 'https://idp.example',
    audience: 'toolbridge',
    tenantClaim: 'tenant_id',
    pinnedTenant: 't',
    ...(now === undefined ? {} : { now }),
  });

describe('JWKS verification over a loopback JWKS endpoint', () => {
  it('accepts RS256 tokens signed by a published key and refuses others', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    let fetched = 0;
    const jwksServer = createServer((_req, res) => {
      fetched += 1;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    const verify = jwksVerifier(await listen(jwksServer));
    const sign = (key: Parameters<SignJWT['sign']>[0], kid: string) =>
      new SignJWT({ sub: 'u', iss: 'https://idp.example', aud: 'toolbridge' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setExpirationTime('5m')
        .sign(key);

    expect((await verify(`Bearer ${await sign(privateKey, 'k1')}`)).subject).toBe('u');
    expect((await verify(`Bearer ${await sign(privateKey, 'k1')}`)).subject).toBe('u');
    expect(fetched).toBe(1);
    expect((await failure(verify, `Bearer ${await sign(other.privateKey, 'k1')}`)).code).toBe(
      'TOKEN_INVALID',
    );
    // An HMAC token is refused when only a JWKS is configured: no algorithm confusion.
    expect((await failure(verify, `Bearer ${await hs256({ sub: 'u' })}`)).code).toBe(
      'TOKEN_INVALID',
    );
  });
});

describe('a key set that cannot be had is not a bad token', () => {
  const es256 = async () => {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
  };
  const withKeys = (jwks: NonNullable<VerifierOptions['jwks']>) =>
    createClientVerifier({ ...base, pinnedTenant: 't', jwks });

  it.each([
    { name: 'the fetch failed', error: new TypeError('fetch failed') },
    { name: 'the fetch timed out', error: new errors.JWKSTimeout() },
    { name: 'the answer was not 200', error: new errors.JOSEError('Expected 200 OK') },
    { name: 'the answer was no key set', error: new errors.JWKSInvalid() },
  ])('$name → AUTH_UNAVAILABLE', async ({ error }) => {
    const verify = withKeys(() => Promise.reject(error));
    expect(await failure(verify, `Bearer ${await es256()}`)).toEqual({
      code: 'AUTH_UNAVAILABLE',
      message: 'the signing keys could not be fetched from the JWKS URL; try again shortly',
    });
  });

  it('one failing key server is asked once per cool-down, not once per token', async () => {
    let fetched = 0;
    const jwksServer = createServer((_req, res) => {
      fetched += 1;
      res.writeHead(500).end('down');
    });
    let clock = NOW;
    const verify = jwksVerifier(await listen(jwksServer), () => clock);
    const token = `Bearer ${await es256()}`;
    const codes = async (count: number) =>
      (await Promise.all(Array.from({ length: count }, () => failure(verify, token)))).map(
        (refused) => refused.code,
      );
    expect(new Set(await codes(25))).toEqual(new Set(['AUTH_UNAVAILABLE']));
    for (let i = 0; i < 25; i += 1)
      expect((await failure(verify, token)).code).toBe('AUTH_UNAVAILABLE');
    expect(fetched).toBe(1);
    clock += JWKS_FAILURE_COOLDOWN_MS;
    expect(new Set(await codes(10))).toEqual(new Set(['AUTH_UNAVAILABLE']));
    expect(fetched).toBe(2);
  });

  it("an unknown key id is still the token's problem", async () => {
    const verify = withKeys(() => Promise.reject(new errors.JWKSNoMatchingKey()));
    expect((await failure(verify, `Bearer ${await es256()}`)).code).toBe('TOKEN_INVALID');
  });
});

describe('the token names its algorithm', () => {
  const withAlg = (alg: string) =>
    [{ alg }, { sub: 'u' }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .concat('sig')
      .join('.');

  it('is named back when it looks like an algorithm, and not otherwise', async () => {
    const verify = createClientVerifier({ ...base, pinnedTenant: 't' });
    expect((await failure(verify, `Bearer ${withAlg('PS512')}`)).message).toBe(
      'tokens signed with PS512 are not accepted',
    );
    for (const alg of ['HS\r\n256', 'x'.repeat(40), 'HS256\u00e9', '"quoted"']) {
      expect((await failure(verify, `Bearer ${withAlg(alg)}`)).message).toBe(
        "the token's algorithm is not accepted",
      );
    }
  });

  it('the challenge carries printable ASCII only, whatever the message', () => {
    const challenge = bearerChallenge('https://mcp.example', {
      error: new AppError('TOKEN_INVALID', 'bad \r\n"token" \u{1F600}\\ here'),
    });
    expect(challenge).toContain('error_description="bad token  here"');
    expect(challenge).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('TOOLBRIDGE_AUTH=none', () => {
  it('lets a caller without a token through as anonymous, for the pinned tenant', async () => {
    const verify = createClientVerifier({
      mode: 'none',
      tenantClaim: 'tenant_id',
      pinnedTenant: 't',
    });
    expect(await verify(undefined)).toEqual({
      subject: 'anonymous',
      tenantId: 't',
      authorization: '',
    });
    const unpinned = createClientVerifier({ mode: 'none', tenantClaim: 'tenant_id' });
    expect((await failure(unpinned, undefined)).code).toBe('TENANT_UNRESOLVED');
  });

  it('decodes without verifying, as the Python proxy did', async () => {
    const verify = createClientVerifier({
      mode: 'none',
      tenantClaim: 'tenant_id',
      pinnedTenant: 't',
    });
    const token = await hs256({ sub: 'anyone' }, 'a-key-nobody-checks');
    expect((await verify(`Bearer ${token}`)).subject).toBe('anyone');
  });
});

describe('challenge and metadata', () => {
  it('points at the protected-resource metadata, with invalid_token only for bad credentials', () => {
    expect(bearerChallenge('https://mcp.example')).toBe(
      'Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"',
    );
    expect(
      bearerChallenge('https://mcp.example', {
        error: new AppError('TOKEN_EXPIRED', 'the token has expired'),
      }),
    ).toBe(
      'Bearer error="invalid_token", error_description="the token has expired", resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"',
    );
  });

  it('describes the resource per RFC 9728', () => {
    expect(
      resourceMetadata({
        baseUrl: 'https://mcp.example',
        authorizationServers: ['https://idp.example'],
      }),
    ).toEqual({
      resource: 'https://mcp.example/mcp',
      authorization_servers: ['https://idp.example'],
      bearer_methods_supported: ['header'],
      resource_name: 'ToolBridge MCP gateway',
    });
  });
});

describe('verified-token cache', () => {
  it('verifies a token once, and again after the cache period, never past exp', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    let lookups = 0;
    let clock = NOW;
    const verify = createClientVerifier({
      mode: 'jwt',
      tenantClaim: 'tenant_id',
      pinnedTenant: 't',
      issuer: 'https://idp.example',
      audience: 'toolbridge',
      cacheSeconds: 60,
      jwks: () => {
        lookups += 1;
        return Promise.resolve(publicKey);
      },
      now: () => clock,
    });
    const token = await new SignJWT({ sub: 'u', iss: 'https://idp.example', aud: 'toolbridge' })
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime(seconds(NOW) + 120)
      .sign(privateKey);

    await verify(`Bearer ${token}`);
    await verify(`Bearer ${token}`);
    expect(lookups).toBe(1);
    clock += 61_000;
    await verify(`Bearer ${token}`);
    expect(lookups).toBe(2);
    clock += 120_000; // past exp + leeway: the cached entry must not be served
    expect((await failure(verify, `Bearer ${token}`)).code).toBe('TOKEN_EXPIRED');
  });
});
