import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { loadConfig } from '../../src/config.ts';
import { JWT_SECRET, doctor, leaks } from './helpers.ts';

const IDENTITY_SECRET = 'doctor-identity-secret-SENTINEL-0005';
const PLATFORM_SECRET = 'doctor-platform-secret-SENTINEL-0006';
const NOW = Date.UTC(2026, 0, 15, 12);
const T = Math.floor(NOW / 1000);
const KEYS = JSON.stringify([
  { id: 'runtime-staging', sha256: 'ab'.repeat(32), scopes: [] },
  { id: 'runtime-globex', sha256: 'cd'.repeat(32), scopes: [], tenants: ['globex'] },
]);
const RUNTIMES = { TOOLBRIDGE_SERVICE_KEYS: KEYS, TOOLBRIDGE_IDENTITY_SECRET: IDENTITY_SECRET };

const identity = (claims: Record<string, unknown> = {}, secret = IDENTITY_SECRET) =>
  new SignJWT({ sub: 'alice', tenant_id: 'acme', iat: T - 10, exp: T + 290, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));

/** A configuration loaded as `doctor` loads it, pinned to tenant acme. */
const config = (env: Record<string, string | undefined>) =>
  loadConfig(
    { env: { TOOLBRIDGE_JWT_SECRET: JWT_SECRET, TOOLBRIDGE_TENANT_ID: 'acme', ...env } },
    'cli',
  );

/** doctor with a sample identity token, its output checked for leaks. */
async function check(env: Record<string, string | undefined>, token: string | undefined) {
  const result = await doctor(config(env), { identityToken: token, now: () => NOW });
  expect(leaks(result.text, token === undefined ? [] : [token])).toEqual([]);
  return result;
}

const DRIFT =
  '✘ identity token: the signature does not verify: TOOLBRIDGE_IDENTITY_SECRET does not match the secret the agent platform signs with (secret drift)';

describe('doctor --identity-token', () => {
  it('passes a good sample: who, which tenant, how long, and which keys may act for it', async () => {
    const { code, lines } = await check(RUNTIMES, await identity());
    expect(code).toBe(0);
    expect(lines).toContain(
      '✔ agent runtimes: 2 service keys (runtime-staging, runtime-globex); identity tokens in x-toolbridge-user, checked with TOOLBRIDGE_IDENTITY_SECRET (HS256), living at most 300 s',
    );
    expect(lines).toContain(
      '✔ identity token: verifies; sub "alice", tenant "acme", expires in 290 s',
    );
    expect(lines).toContain(
      '✔ identity token: service keys that may act for this tenant: runtime-staging',
    );
    expect(lines.at(-1)).toBe('doctor: all checks passed');
  });

  it('names secret drift when only the signature fails', async () => {
    const { code, lines, text } = await check(RUNTIMES, await identity({}, PLATFORM_SECRET));
    expect(code).toBe(1);
    expect(lines).toContain(DRIFT);
    expect(text).toContain(
      "fix: copy the platform's identity signing secret into TOOLBRIDGE_IDENTITY_SECRET",
    );
  });

  it.each([
    [
      'an expired sample, whose signature shows the secret is right',
      { exp: T - 120 },
      `✘ identity token: expired at ${new Date((T - 120) * 1000).toISOString()} (its signature verifies, so the secret matches)`,
    ],
    [
      'a one-day identity',
      { iat: T, exp: T + 86_400 },
      '✘ identity token: lives 86400 s, more than TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS (300 s) (its signature verifies, so the secret matches)',
    ],
    [
      'a sample without exp',
      { exp: undefined },
      "✘ identity token: the x-toolbridge-user token has no 'exp' claim",
    ],
    [
      'a sample for another tenant than the pinned one',
      { tenant_id: 'globex' },
      "✘ identity token: the x-toolbridge-user identity: this gateway serves another tenant than the token's tenant_id (its signature verifies, so the secret matches)",
    ],
  ])('says which check fails for %s', async (_what, claims, line) => {
    const { code, lines } = await check(RUNTIMES, await identity(claims));
    expect(code).toBe(1);
    expect(lines).toContain(line);
    expect(lines).not.toContain(DRIFT);
  });

  it('warns when no configured key may act for the sample tenant', async () => {
    const keys = JSON.stringify([
      { id: 'runtime-globex', sha256: 'cd'.repeat(32), scopes: [], tenants: ['globex'] },
    ]);
    const { code, lines } = await check(
      { ...RUNTIMES, TOOLBRIDGE_SERVICE_KEYS: keys },
      await identity(),
    );
    expect(code).toBe(0);
    expect(lines).toContain('⚠ identity token: no service key may act for tenant "acme"');
  });

  it('fails, and skips the sample, when nothing verifies identity tokens', async () => {
    const { code, lines } = await check({ TOOLBRIDGE_SERVICE_KEYS: KEYS }, await identity());
    expect(code).toBe(1);
    expect(lines).toContain(
      '✘ agent runtimes: TOOLBRIDGE_SERVICE_KEYS is set but nothing verifies identity tokens, so every service-key call would be refused',
    );
    expect(lines).toContain('– identity token: skipped (nothing to check it with)');
  });

  it('checks the set-up without a sample when service keys are configured, and is silent without them', async () => {
    const keysOnly = await check(RUNTIMES, undefined);
    expect(keysOnly.lines.filter((line) => line.includes('agent runtimes'))).toHaveLength(1);
    expect(keysOnly.lines.some((line) => line.includes('identity token:'))).toBe(false);
    const none = await check({}, undefined);
    expect(none.lines.some((line) => line.includes('agent runtimes'))).toBe(false);
  });

  it('checks a JWKS-signed sample, and names a key the set does not publish', async () => {
    const held = await generateKeyPair('ES256');
    const rotated = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(held.publicKey)), kid: 'k1', alg: 'ES256' };
    const sign = (pair: typeof held, kid: string) =>
      new SignJWT({
        sub: 'bob',
        tenant_id: 'acme',
        iat: T,
        exp: T + 60,
        iss: 'https://idp.example',
        aud: 'toolbridge',
      })
        .setProtectedHeader({ alg: 'ES256', kid })
        .sign(pair.privateKey);
    const cfg = config({
      TOOLBRIDGE_SERVICE_KEYS: KEYS,
      TOOLBRIDGE_JWT_JWKS_URL: 'https://idp.example/jwks',
      TOOLBRIDGE_JWT_ISSUER: 'https://idp.example',
      TOOLBRIDGE_JWT_AUDIENCE: 'toolbridge',
    });
    const options = { now: () => NOW, jwks: createLocalJWKSet({ keys: [jwk] }) };
    const good = await doctor(cfg, {
      ...options,
      identityToken: await sign(held, 'k1'),
    });
    expect(good.lines).toContain(
      '✔ identity token: verifies; sub "bob", tenant "acme", expires in 60 s',
    );
    const drifted = await doctor(cfg, {
      ...options,
      identityToken: await sign(rotated, 'k2'),
    });
    expect(drifted.code).toBe(1);
    expect(drifted.lines).toContain(
      '✘ identity token: the signature does not verify: the platform signs with a key TOOLBRIDGE_JWT_JWKS_URL does not publish (key drift)',
    );
  });

  it('runs as a command: exit 1 on drift, and neither the token nor the secret in any output', async () => {
    const token = await new SignJWT({ sub: 'alice', tenant_id: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(PLATFORM_SECRET));
    const env = { ...RUNTIMES, TOOLBRIDGE_TENANT_ID: 'acme' };
    const { code, stdout, stderr } = await runCli(['doctor', '--identity-token', token], env);
    expect(code).toBe(1);
    expect(stdout).toContain(DRIFT);
    expect(leaks(`${stdout}\n${stderr}`, [token])).toEqual([]);
  });
});
