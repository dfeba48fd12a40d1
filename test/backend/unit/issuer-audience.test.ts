/**
 * The embedded API's issuer and audience rule (CONTRACT.md B.2, E.3) and its token exchange
 * (E.4), over real sockets: a gateway's `mint` and `exchange` modes are tested against these.
 */
import { SignJWT, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startBackend, type RunningBackend } from '../../../src/backend/index.ts';
import { createTenantSigner } from '../../../src/tenant-headers/index.ts';
import { onCleanup } from '../../helpers/loopback.ts';

const JWT_SECRET = 'issuer-audience-jwt-secret';
const TENANT_SECRET = 'issuer-audience-tenant-secret';
const ISSUER = 'https://tenant.auth0.example/';
const AUDIENCE = 'https://toolbridgeapi.example';
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const key = new TextEncoder().encode(JWT_SECRET);

async function sign(claims: JWTPayload, secret: Uint8Array = key): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(typeof claims.sub === 'string' ? claims.sub : 'user-1')
    .setIssuedAt()
    .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : '1h')
    .sign(secret);
}

async function start(options: {
  issuer?: string;
  audience?: string;
  backendTokens?: boolean;
}): Promise<RunningBackend> {
  const backend = await startBackend({
    port: 0,
    jwtSecret: JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
    ...options,
  });
  onCleanup(() => backend.close());
  return backend;
}

const signer = createTenantSigner({ tenantId: 'tenant-a', secret: TENANT_SECRET });

/** POST /v1/sync/sessions with this token: 201 when the API accepts it, 401 when not. */
async function sessionStatus(backend: RunningBackend, token: string): Promise<number> {
  const response = await fetch(`${backend.url}/v1/sync/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...signer.headers() },
  });
  await response.arrayBuffer();
  return response.status;
}

const expired = () => Math.floor(Date.now() / 1000) - 60;

interface ClaimCase {
  readonly name: string;
  readonly claims: JWTPayload;
  readonly secret?: Uint8Array;
  /** Status with the E.3 rule (backend tokens exempt), and with the a42eec7 rule (none exempt). */
  readonly newer: 201 | 401;
  readonly older: 201 | 401;
}

const CASES: readonly ClaimCase[] = [
  { name: 'the right iss and aud', claims: { iss: ISSUER, aud: AUDIENCE }, newer: 201, older: 201 },
  {
    name: 'an aud array that contains the audience',
    claims: { iss: ISSUER, aud: ['other', AUDIENCE] },
    newer: 201,
    older: 201,
  },
  {
    name: 'another issuer',
    claims: { iss: 'https://evil.example/', aud: AUDIENCE },
    newer: 401,
    older: 401,
  },
  {
    name: 'the issuer without its slash',
    claims: { iss: ISSUER.slice(0, -1), aud: AUDIENCE },
    newer: 401,
    older: 401,
  },
  {
    name: 'another audience',
    claims: { iss: ISSUER, aud: 'https://other.example' },
    newer: 401,
    older: 401,
  },
  { name: 'no iss and no aud', claims: {}, newer: 401, older: 401 },
  { name: 'no aud', claims: { iss: ISSUER }, newer: 401, older: 401 },
  {
    name: 'a backend token (token_type "backend") without iss or aud',
    claims: { token_type: 'backend' },
    newer: 201,
    older: 401,
  },
  {
    name: 'a backend token naming some other issuer and audience',
    claims: { token_type: 'backend', iss: 'toolbridge-mcp', aud: 'anything' },
    newer: 201,
    older: 401,
  },
  {
    name: 'a legacy backend token (iss "toolbridge-api", no token_type)',
    claims: { iss: 'toolbridge-api' },
    newer: 201,
    older: 401,
  },
  {
    name: 'iss "toolbridge-api" with another token_type',
    claims: { iss: 'toolbridge-api', token_type: 'access' },
    newer: 401,
    older: 401,
  },
  {
    name: 'a backend token signed with another secret',
    claims: { token_type: 'backend' },
    secret: new TextEncoder().encode('another-secret'),
    newer: 401,
    older: 401,
  },
  {
    name: 'an expired backend token',
    claims: { token_type: 'backend', exp: expired() },
    newer: 401,
    older: 401,
  },
];

describe('iss and aud, with an issuer and audience configured (B.2, E.3)', () => {
  let newer: RunningBackend;
  let older: RunningBackend;
  beforeAll(async () => {
    // Started per test file; onCleanup runs after each test, so these close with the process.
    newer = await startBackend({
      port: 0,
      jwtSecret: JWT_SECRET,
      tenantHeaderSecret: TENANT_SECRET,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    older = await startBackend({
      port: 0,
      jwtSecret: JWT_SECRET,
      tenantHeaderSecret: TENANT_SECRET,
      issuer: ISSUER,
      audience: AUDIENCE,
      backendTokens: false,
    });
    return async () => {
      await newer.close();
      await older.close();
    };
  });

  it.each(CASES)('$name: $newer, or $older before backend tokens', async (testCase) => {
    const token = await sign(testCase.claims, testCase.secret);
    expect(await sessionStatus(newer, token)).toBe(testCase.newer);
    expect(await sessionStatus(older, token)).toBe(testCase.older);
  });
});

describe('without the full rule', () => {
  it('checks nothing of iss and aud without an issuer (B.2 without AUTH0_DOMAIN)', async () => {
    const backend = await start({});
    expect(await sessionStatus(backend, await sign({ iss: 'any', aud: 'any' }))).toBe(201);
    expect(await sessionStatus(backend, await sign({}))).toBe(201);
  });

  it('checks only iss with an issuer and no audience (E.3 without JWT_AUDIENCE)', async () => {
    const backend = await start({ issuer: ISSUER });
    expect(await sessionStatus(backend, await sign({ iss: ISSUER }))).toBe(201);
    expect(await sessionStatus(backend, await sign({ iss: ISSUER, aud: 'any' }))).toBe(201);
    expect(await sessionStatus(backend, await sign({ iss: 'other' }))).toBe(401);
  });

  it('refuses to start with an audience but no issuer, as Go does', async () => {
    await expect(
      startBackend({ port: 0, jwtSecret: JWT_SECRET, audience: AUDIENCE }),
    ).rejects.toThrow('an audience needs an issuer');
  });
});

const ExchangeReply = z.strictObject({
  access_token: z.string(),
  issued_token_type: z.literal('urn:ietf:params:oauth:token-type:access_token'),
  token_type: z.literal('Bearer'),
  expires_in: z.literal(3600),
});

async function exchange(
  backend: RunningBackend,
  authorization: string | undefined,
  body: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${backend.url}/auth/token-exchange`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body,
  });
  return { status: response.status, text: await response.text() };
}

const goodBody = JSON.stringify({ audience: AUDIENCE, grant_type: GRANT });

describe('POST /auth/token-exchange (E.4)', () => {
  it('answers RFC 8693 JSON with a one-hour backend token for the same subject', async () => {
    const backend = await start({ issuer: ISSUER, audience: AUDIENCE });
    const caller = await sign({ sub: 'alice', iss: ISSUER, aud: AUDIENCE });
    const reply = await exchange(backend, `Bearer ${caller}`, goodBody);
    expect(reply.status).toBe(200);
    // Go's struct order, json.Encoder's newline.
    expect(reply.text).toMatch(
      /^\{"access_token":"[^"]+","issued_token_type":"[^"]+","token_type":"Bearer","expires_in":3600\}\n$/,
    );
    const { access_token: token } = ExchangeReply.parse(JSON.parse(reply.text));
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const { payload } = await jwtVerify(token, key);
    expect(payload).toMatchObject({
      sub: 'alice',
      iss: 'toolbridge-api',
      aud: AUDIENCE,
      token_type: 'backend',
      exchanged_from: 'mcp_oauth',
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.nbf).toBe(payload.iat);
    // The backend token is accepted without the identity provider's issuer and audience.
    expect(await sessionStatus(backend, token)).toBe(201);
  });

  it('needs no tenant headers, while data routes do', async () => {
    const backend = await start({});
    const reply = await exchange(backend, `Bearer ${await sign({})}`, goodBody);
    expect(reply.status).toBe(200);
  });

  it.each([
    ['no Authorization header', () => Promise.resolve(undefined)],
    ['a token that is not a JWT', () => Promise.resolve('Bearer not-a-jwt')],
    [
      'a lower-case bearer scheme',
      async () => `bearer ${await sign({ iss: ISSUER, aud: AUDIENCE })}`,
    ],
    [
      'an expired token',
      async () => `Bearer ${await sign({ iss: ISSUER, aud: AUDIENCE, exp: expired() })}`,
    ],
    [
      'a token with another issuer',
      async () => `Bearer ${await sign({ iss: 'https://x/', aud: AUDIENCE })}`,
    ],
    [
      'a token with another audience',
      async () => `Bearer ${await sign({ iss: ISSUER, aud: 'x' })}`,
    ],
  ])('401 for %s', async (_name, authorization) => {
    const backend = await start({ issuer: ISSUER, audience: AUDIENCE });
    const reply = await exchange(backend, await authorization(), goodBody);
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.text)).toMatchObject({ error: 'invalid or missing token' });
  });

  it.each([
    ['a body that is not JSON', 'audience=x', 'invalid request body'],
    ['a JSON array', '[]', 'invalid request body'],
    [
      'another grant_type',
      JSON.stringify({ audience: AUDIENCE, grant_type: 'client_credentials' }),
      'unsupported grant_type',
    ],
    ['no grant_type', JSON.stringify({ audience: AUDIENCE }), 'unsupported grant_type'],
    ['no audience', JSON.stringify({ grant_type: GRANT }), 'audience is required'],
    [
      'an empty audience',
      JSON.stringify({ audience: '', grant_type: GRANT }),
      'audience is required',
    ],
    [
      'a numeric audience',
      JSON.stringify({ audience: 7, grant_type: GRANT }),
      'audience is required',
    ],
  ])('400 for %s', async (_name, body, message) => {
    const backend = await start({});
    const reply = await exchange(backend, `Bearer ${await sign({})}`, body);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({ error: message });
  });

  it('answers 405 to another method, before any authentication', async () => {
    const backend = await start({});
    const response = await fetch(`${backend.url}/auth/token-exchange`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});
