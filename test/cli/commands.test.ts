import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startBackend } from '../../src/backend/index.ts';
import { createTenantVerifier } from '../../src/tenant-headers/index.ts';
import { runCli } from '../helpers/cli.ts';
import { onCleanup } from '../helpers/loopback.ts';

const JWT_SECRET = 'commands-jwt-secret';
const TENANT_SECRET = 'commands-tenant-secret';

const run = (args: string[], env: Record<string, string>) => runCli(args, env);

async function apiEnv(tenantSecret: string) {
  const backend = await startBackend({
    port: 0,
    jwtSecret: JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
  });
  onCleanup(() => backend.close());
  const token = await new SignJWT({ sub: 'doctor-user' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JWT_SECRET));
  return {
    env: {
      TOOLBRIDGE_GO_API_BASE_URL: backend.url,
      TOOLBRIDGE_TENANT_ID: 'doctor-tenant',
      TOOLBRIDGE_TENANT_HEADER_SECRET: tenantSecret,
      TOOLBRIDGE_JWT_TOKEN: token,
    },
    token,
  };
}

describe('toolbridge-mcp doctor', () => {
  it('passes against the API with the right tenant secret, exit 0', async () => {
    const { env, token } = await apiEnv(TENANT_SECRET);
    const { code, stdout } = await run(['doctor'], env);
    expect(stdout).toContain('doctor: all checks passed');
    expect(code).toBe(0);
    expect(stdout.includes(token), 'stdout leaks the API token').toBe(false);
    expect(stdout.includes(TENANT_SECRET), 'stdout leaks the tenant secret').toBe(false);
  });

  it('names the mismatched secret with a wrong tenant secret, exit 1, and shows no secret', async () => {
    const { env, token } = await apiEnv('not-the-api-tenant-secret');
    const { code, stdout } = await run(['doctor'], env);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "✘ TOOLBRIDGE_TENANT_HEADER_SECRET does not match the API's TENANT_HEADER_SECRET",
    );
    expect(stdout.includes('not-the-api-tenant-secret'), 'stdout leaks the tenant secret').toBe(
      false,
    );
    expect(stdout.includes(token), 'stdout leaks the API token').toBe(false);
  });
});

describe('toolbridge-mcp sign', () => {
  it('prints X-TB-* headers the API accepts', async () => {
    const { env } = await apiEnv(TENANT_SECRET);
    const { code, stdout } = await run(['sign'], env);
    expect(code).toBe(0);
    const header = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(stdout)?.[1] ?? '';
    const verify = createTenantVerifier({ secret: TENANT_SECRET });
    expect(
      verify({
        'x-tb-tenant-id': header('X-TB-Tenant-ID'),
        'x-tb-timestamp': header('X-TB-Timestamp'),
        'x-tb-signature': header('X-TB-Signature'),
      }),
    ).toMatchObject({ ok: true, tenantId: 'doctor-tenant' });
    expect(stdout.includes(TENANT_SECRET), 'stdout leaks the tenant secret').toBe(false);
  });

  it('refuses an unknown command with usage and exit 64', async () => {
    const { code, stderr } = await run(['cure'], {});
    expect(code).toBe(64);
    expect(stderr).toContain('unknown command "cure"');
  });

  it.each([
    [['sign', 'my-tenant'], 'unexpected argument "my-tenant"'],
    [['--tenant', 'x'], '--tenant is an option of sign, token and keys, not of serve'],
    [['doctor', '--tenant', 'x'], '--tenant is an option of sign, token and keys, not of doctor'],
    [['sign', '--ttl', '1h'], '--ttl is an option of token, not of sign'],
    [['--sub', 'me'], '--sub is an option of token, not of serve'],
    [['doctor', '--stdio'], '--stdio does not apply to doctor'],
    [['keys'], 'keys expects "new"'],
    [['keys', 'rotate'], 'keys expects "new"'],
    [['keys', 'new', 'runtime'], 'unexpected argument "runtime"'],
    [['sign', '--tenant', 'a', '--tenant', 'b'], '--tenant is given once to sign'],
    [['sign', '--identity-token', 'x'], '--identity-token is an option of doctor, not of sign'],
    [['doctor', '--scope', 'x'], '--scope is an option of keys, not of doctor'],
  ])('refuses %j with a message that names the problem, and exit 64', async (args, message) => {
    const { code, stderr } = await run(args, {});
    expect(code).toBe(64);
    expect(stderr).toContain(message);
  });
});
