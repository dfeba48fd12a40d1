/**
 * The OAuth resource server's pieces on their own: audience binding of JWKS tokens (RFC 8707),
 * scopes read from tokens, the scope rules, and what the challenges and the metadata say.
 */
import { SignJWT, generateKeyPair, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearerChallenge, resourceMetadata } from '../../src/auth/metadata.ts';
import { createScopePolicy, scopesOf } from '../../src/auth/scopes.ts';
import { createClientVerifier, type Principal } from '../../src/auth/verifier.ts';
import { AppError } from '../../src/errors.ts';

const SECRET = 'go-api-hs256-secret-for-tests';
const ISSUER = 'https://idp.example';
const RESOURCE = 'https://mcp.example/mcp';
const { publicKey, privateKey } = await generateKeyPair('ES256');

const es256 = (claims: JWTPayload) =>
  new SignJWT({ sub: 'u', iss: ISSUER, ...claims })
    .setProtectedHeader({ alg: 'ES256' })
    .setExpirationTime('5m')
    .sign(privateKey);

const hs256 = (claims: JWTPayload) =>
  new SignJWT({ sub: 'u', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));

const verifier = (audience?: string) =>
  createClientVerifier({
    mode: 'jwt',
    jwtSecret: SECRET,
    jwks: () => Promise.resolve(publicKey),
    issuer: ISSUER,
    resource: RESOURCE,
    ...(audience === undefined ? {} : { audience }),
    tenantClaim: 'tenant_id',
    pinnedTenant: 't',
  });

async function refusal(verify: ReturnType<typeof verifier>, token: string) {
  try {
    await verify(`Bearer ${token}`);
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the token to be refused');
}

describe('audience binding of JWKS tokens', () => {
  it.each([
    { name: 'the resource', aud: RESOURCE },
    { name: 'the resource among others', aud: ['https://other.example', RESOURCE] },
    { name: 'TOOLBRIDGE_JWT_AUDIENCE', aud: 'toolbridge', audience: 'toolbridge' },
  ])('accepts a token whose aud names $name', async ({ aud, audience }) => {
    expect((await verifier(audience)(`Bearer ${await es256({ aud })}`)).subject).toBe('u');
  });

  it.each([
    { name: 'another resource', aud: 'https://other.example/mcp' },
    { name: 'the base URL, which the metadata does not advertise', aud: 'https://mcp.example' },
    { name: 'no audience at all', aud: undefined },
  ])('refuses $name, naming the audiences it accepts', async ({ aud }) => {
    const refused = await refusal(
      verifier('toolbridge'),
      await es256(aud === undefined ? {} : { aud }),
    );
    expect(refused).toEqual({
      code: 'TOKEN_INVALID',
      message: `the token is for another audience: its 'aud' must name ${RESOURCE} or toolbridge`,
    });
  });

  it('leaves HS256 tokens of the Go API as they were: no resource audience asked for', async () => {
    const verify = verifier();
    const principal = await verify(`Bearer ${await hs256({ iss: ISSUER })}`);
    expect(principal.subject).toBe('u');
    expect(principal.scopes).toBeUndefined();
    // ...and TOOLBRIDGE_JWT_AUDIENCE, when set, still applies to them (CONTRACT.md B.2).
    const strict = verifier('toolbridge');
    expect((await refusal(strict, await hs256({ iss: ISSUER, aud: RESOURCE }))).message).toBe(
      "the token is for another audience: its 'aud' must name toolbridge",
    );
  });

  it('gives a JWKS principal its scopes, an empty list when it has none', async () => {
    const verify = verifier();
    const scoped = await verify(`Bearer ${await es256({ aud: RESOURCE, scope: 'a b' })}`);
    expect(scoped.scopes).toEqual(['a', 'b']);
    const bare = await verify(`Bearer ${await es256({ aud: RESOURCE })}`);
    expect(bare.scopes).toEqual([]);
  });
});

describe('scopesOf', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['a scope string', { scope: 'read  write' }, ['read', 'write']],
    ['an scp array', { scp: ['read', 'write'] }, ['read', 'write']],
    ['an scp string', { scp: 'read write' }, ['read', 'write']],
    ['scope before scp', { scope: 'read', scp: ['write'] }, ['read']],
    ['non-strings in scp', { scp: ['read', 2, null, ''] }, ['read']],
    ['a scope that is not a string', { scope: ['write'] }, []],
    ['nothing', {}, []],
  ])('reads %s', (_name, claims, expected) => {
    expect(scopesOf(claims)).toEqual(expected);
  });
});

describe('the scope rules', () => {
  const principal = (scopes?: string[]): Principal => ({
    subject: 'u',
    tenantId: 't',
    authorization: 'Bearer x',
    ...(scopes === undefined ? {} : { scopes }),
  });
  const policy = createScopePolicy({ required: ['mcp'], read: 'tb:read', write: 'tb:write' });

  it('lists every configured scope once, for the metadata', () => {
    expect(policy.supported).toEqual(['mcp', 'tb:read', 'tb:write']);
    expect(createScopePolicy().supported).toEqual([]);
  });

  it.each<[string, string[] | undefined, boolean, string | undefined, string | undefined]>([
    // name, scopes, has the required ones, missing for a read tool, missing for a write tool
    ['no scopes list (HS256 token)', undefined, true, undefined, undefined],
    ['nothing granted', [], false, 'tb:read', 'tb:write'],
    ['read only', ['mcp', 'tb:read'], true, undefined, 'tb:write'],
    ['write only: writing implies reading', ['mcp', 'tb:write'], true, undefined, undefined],
    ['both', ['mcp', 'tb:read', 'tb:write'], true, undefined, undefined],
  ])('%s', (_name, scopes, required, read, write) => {
    expect(policy.hasRequired(principal(scopes))).toBe(required);
    expect(policy.missingForTool(principal(scopes), true)).toBe(read);
    expect(policy.missingForTool(principal(scopes), false)).toBe(write);
  });

  it('with only a write scope, reading needs nothing', () => {
    const writeOnly = createScopePolicy({ write: 'tb:write' });
    expect(writeOnly.missingForTool(principal([]), true)).toBeUndefined();
    expect(writeOnly.missingForTool(principal([]), false)).toBe('tb:write');
  });
});

describe('challenges and metadata', () => {
  const base = 'https://mcp.example';
  const metadata = `resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`;

  it('names the scopes to ask for on a 401, without error details when no token came', () => {
    expect(bearerChallenge(base, { scope: ['mcp', 'tb:read'] })).toBe(
      `Bearer ${metadata}, scope="mcp tb:read"`,
    );
  });

  it('says insufficient_scope, with the scopes the request needs', () => {
    const error = new AppError('SCOPE_INSUFFICIENT', 'the token lacks the scope: mcp');
    expect(bearerChallenge(base, { error, scope: ['mcp'] })).toBe(
      `Bearer error="insufficient_scope", error_description="the token lacks the scope: mcp", ${metadata}, scope="mcp"`,
    );
  });

  it('lists authorization servers and scopes only when there are some', () => {
    expect(
      resourceMetadata({
        baseUrl: base,
        authorizationServers: [ISSUER, 'https://other-idp.example/'],
        scopesSupported: ['tb:read', 'tb:write'],
      }),
    ).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER, 'https://other-idp.example/'],
      scopes_supported: ['tb:read', 'tb:write'],
      bearer_methods_supported: ['header'],
      resource_name: 'ToolBridge MCP gateway',
    });
    expect(resourceMetadata({ baseUrl: base })).toEqual({
      resource: RESOURCE,
      bearer_methods_supported: ['header'],
      resource_name: 'ToolBridge MCP gateway',
    });
  });
});
