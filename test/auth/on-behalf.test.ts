import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createIdentityFailureReporter } from '../../src/auth/identity-drift.ts';
import { createIdentityVerifier, type IdentityVerifier } from '../../src/auth/identity-token.ts';
import {
  createOnBehalfVerifier,
  isServiceKeyBearer,
  type OnBehalfRequest,
} from '../../src/auth/on-behalf.ts';
import { createServiceKeyLookup, newServiceKey } from '../../src/auth/service-keys.ts';
import { AppError, type ErrorCode } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import { capturingLogger } from '../helpers/log-capture.ts';

const SECRET = 'identity-secret-SENTINEL-on-behalf-01';
const NOW = Date.UTC(2026, 0, 15, 12);
const T = Math.floor(NOW / 1000);

const staging = newServiceKey({ id: 'runtime-staging', scopes: ['tools:call'] });
const acmeOnly = newServiceKey({ id: 'runtime-acme', scopes: [], tenants: ['acme'] });
const unknown = newServiceKey({ id: 'never-configured', scopes: [] });

const identity = (claims: JWTPayload, secret = SECRET) =>
  new SignJWT({ tenant_id: 'acme', iat: T, exp: T + 300, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));

/** The back-channel as the gateway would assemble it, with its metric and log. */
function setUp() {
  const metrics = createMetrics({
    sessions: () => ({ streamable: 0, sse: 0 }),
    pool: () => undefined,
  });
  const captured = capturingLogger('info', [SECRET]);
  let identityChecks = 0;
  const checkIdentity = createIdentityVerifier({
    header: 'x-toolbridge-user',
    secret: SECRET,
    tenantClaim: 'tenant_id',
    maxTtlSeconds: 300,
    now: () => NOW,
  });
  const verifyIdentity: IdentityVerifier = (value, tenants) => {
    identityChecks += 1;
    return checkIdentity(value, tenants);
  };
  const verify = createOnBehalfVerifier({
    lookup: createServiceKeyLookup([staging.entry, acmeOnly.entry]),
    verifyIdentity,
    onIdentityFailure: createIdentityFailureReporter({
      log: captured.logger,
      count: (reason) => {
        metrics.identityFailure(reason);
      },
      now: () => NOW,
    }),
  });
  const failures = async () =>
    (await metrics.registry.getSingleMetricAsString('toolbridge_identity_failures_total'))
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
  return { verify, failures, identityChecks: () => identityChecks, ...captured };
}

async function refusal(
  verify: ReturnType<typeof createOnBehalfVerifier>,
  request: OnBehalfRequest,
): Promise<AppError> {
  try {
    await verify(request);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

describe('verifyOnBehalf', () => {
  it.each([
    ['no Authorization', undefined],
    ['a client JWT', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
    ['another scheme', 'Basic dGJrXzp4'],
    ['a bearer merely containing tbk_', 'Bearer abc.tbk_0123'],
  ])('leaves %s to the client-token path', async (_what, authorization) => {
    const { verify, identityChecks } = setUp();
    expect(await verify({ authorization, identity: await identity({ sub: 'u' }) })).toBeUndefined();
    expect(isServiceKeyBearer(authorization)).toBe(false);
    expect(identityChecks()).toBe(0);
  });

  it("acts for the identity's user with the key's id and scopes", async () => {
    const { verify } = setUp();
    const call = await verify({
      authorization: `Bearer ${staging.key}`,
      identity: await identity({ sub: 'alice' }),
    });
    expect(call).toEqual({
      serviceKeyId: 'runtime-staging',
      scopes: ['tools:call'],
      principal: { subject: 'alice', tenantId: 'acme', expiresAt: T + 300 },
    });
  });

  it('takes the identity per call: one key, calls for many users', async () => {
    const { verify } = setUp();
    const subjects = [];
    for (const [sub, tenant] of [
      ['alice', 'acme'],
      ['bob', 'globex'],
      ['carol', 'acme'],
    ] as const) {
      const call = await verify({
        authorization: `bearer  ${staging.key}`,
        identity: await identity({ sub, tenant_id: tenant }),
      });
      subjects.push(`${call?.principal.subject}@${call?.principal.tenantId}`);
    }
    expect(subjects).toEqual(['alice@acme', 'bob@globex', 'carol@acme']);
  });

  it.each([
    ['a key that is not configured', `Bearer ${unknown.key}`],
    ['a key cut short', `Bearer ${staging.key.slice(0, -1)}`],
    ['a key and more', `Bearer ${staging.key} extra`],
    ['the prefix alone', 'Bearer tbk_'],
  ])(
    'refuses %s as SERVICE_KEY_INVALID, never trying it as a JWT',
    async (_what, authorization) => {
      const { verify, identityChecks } = setUp();
      const error = await refusal(verify, {
        authorization,
        identity: await identity({ sub: 'u' }),
      });
      expect(error.code).toBe('SERVICE_KEY_INVALID');
      expect(error.message).toBe('the service key is not valid');
      expect(identityChecks()).toBe(0);
    },
  );

  const identityCases: [string, () => Promise<string | undefined>, string, ErrorCode][] = [
    ['no identity', () => Promise.resolve(undefined), staging.key, 'IDENTITY_MISSING'],
    [
      'an expired identity',
      () => identity({ sub: 'u', exp: T - 60 }),
      staging.key,
      'IDENTITY_EXPIRED',
    ],
    [
      'a one-day identity',
      () => identity({ sub: 'u', exp: T + 86_400 }),
      staging.key,
      'IDENTITY_TTL_TOO_LONG',
    ],
    [
      'an identity from another secret',
      () => identity({ sub: 'u' }, 'x'.repeat(40)),
      staging.key,
      'IDENTITY_SIGNATURE',
    ],
    [
      "a tenant outside the key's",
      () => identity({ sub: 'u', tenant_id: 'globex' }),
      acmeOnly.key,
      'TENANT_FORBIDDEN',
    ],
  ];
  it.each(identityCases)(
    'refuses %s → %s, naming the key by id only',
    async (_w, make, key, code) => {
      const { verify, failures } = setUp();
      const error = await refusal(verify, {
        authorization: `Bearer ${key}`,
        identity: await make(),
      });
      expect(error.code).toBe(code);
      expect(error.details['serviceKey']).toBe(
        key === staging.key ? 'runtime-staging' : 'runtime-acme',
      );
      expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(
        key.slice(4),
      );
      expect((await failures()).join('\n')).toMatch(
        new RegExp(
          `^toolbridge_identity_failures_total\\{reason="${code.replace('IDENTITY_', '').toLowerCase()}"\\} 1$`,
          'm',
        ),
      );
    },
  );

  it('reports drift once while counting every signature failure', async () => {
    const { verify, failures, records, text } = setUp();
    const forged = await identity({ sub: 'u' }, 'platform-secret-after-rotation-0123456789');
    for (let i = 0; i < 3; i += 1) {
      const error = await refusal(verify, {
        authorization: `Bearer ${staging.key}`,
        identity: forged,
      });
      expect(error.code).toBe('IDENTITY_SIGNATURE');
    }
    expect(await failures()).toEqual(['toolbridge_identity_failures_total{reason="signature"} 3']);
    expect(records()).toEqual([expect.objectContaining({ level: 'warn', failures: 1 })]);
    expect(records()[0]?.['msg']).toContain('TOOLBRIDGE_IDENTITY_SECRET does not match');
    expect(text()).not.toContain('SENTINEL');
    expect(text()).not.toContain(staging.key);
    expect(text()).not.toContain(forged.split('.')[2]);
  });
});
