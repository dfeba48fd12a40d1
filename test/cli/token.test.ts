import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_TTL_SECONDS, parseTtl, runToken, type TokenOptions } from '../../src/cli/token.ts';
import { loadConfig } from '../../src/config.ts';
import type { DevSecret } from '../../src/dev-secrets.ts';
import { MCP_HEADERS, initializeBody, rawRequest } from '../e2e/stack.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { JWT_SECRET, TENANT_SECRET } from './helpers.ts';

const DEV_SECRET = 'token-test-dev-secret-SENTINEL-0123456789';
const root = mkdtempSync(join(tmpdir(), 'toolbridge-token-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const kept: DevSecret = {
  secret: DEV_SECRET,
  path: '/x/dev-secrets.json',
  kept: true,
  note: undefined,
};

async function token(
  env: Record<string, string>,
  options: Partial<TokenOptions> = {},
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runToken(loadConfig({ env }, 'cli'), (line) => out.push(line), {
    devSecret: () => kept,
    err: (line) => err.push(line),
    ...options,
  });
  return { code, out, err };
}

const verify = (jwt: string, secret: string) =>
  jwtVerify(jwt, new TextEncoder().encode(secret), { algorithms: ['HS256'] });

describe('toolbridge-mcp token', () => {
  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['45m', 2700],
    ['24h', 86_400],
    [' 30d ', MAX_TTL_SECONDS],
    ['31d', undefined],
    [String(MAX_TTL_SECONDS + 1), undefined],
    ['0', undefined],
    ['1.5h', undefined],
    ['-5', undefined],
    ['1y', undefined],
    ['', undefined],
  ])('reads --ttl %j as %s seconds', (text, seconds) => {
    expect(parseTtl(text)).toBe(seconds);
  });

  it('signs with TOOLBRIDGE_JWT_SECRET: the claims the gateway checks, and the token alone on out', async () => {
    const { code, out, err } = await token(
      {
        TOOLBRIDGE_JWT_SECRET: JWT_SECRET,
        TOOLBRIDGE_JWT_ISSUER: 'https://issuer.example/',
        TOOLBRIDGE_JWT_AUDIENCE: 'toolbridge',
        TOOLBRIDGE_TENANT_CLAIM: 'org',
        TOOLBRIDGE_TENANT_ID: 'acme',
      },
      { sub: 'alice', ttl: '45m' },
    );
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out).toHaveLength(1);
    const { payload, protectedHeader } = await verify(out[0]!, JWT_SECRET);
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({
      sub: 'alice',
      org: 'acme',
      iss: 'https://issuer.example/',
      aud: 'toolbridge',
    });
    expect(payload.exp! - payload.iat!).toBe(2700);
  });

  it("signs with the embedded API's kept secret when no Go API is configured", async () => {
    const { code, out } = await token({});
    expect(code).toBe(0);
    const { payload } = await verify(out[0]!, DEV_SECRET);
    expect(payload).toMatchObject({ sub: 'dev-user', tenant_id: 'dev-tenant' });
    expect(payload.exp! - payload.iat!).toBe(86_400);
  });

  it.each([
    [
      'a JWKS-only configuration',
      {
        TOOLBRIDGE_JWT_JWKS_URL: 'https://idp.example/jwks',
        TOOLBRIDGE_JWT_ISSUER: 'i',
        TOOLBRIDGE_JWT_AUDIENCE: 'a',
      },
      'no HS256 secret to sign with: client tokens are verified with TOOLBRIDGE_JWT_JWKS_URL',
    ],
    [
      'a Go API without TOOLBRIDGE_JWT_SECRET',
      {
        TOOLBRIDGE_GO_API_BASE_URL: 'https://api.example',
        TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
      },
      "no HS256 secret to sign with: set TOOLBRIDGE_JWT_SECRET (the Go API's JWT_HS256_SECRET)",
    ],
  ])('refuses with %s: exit 78, nothing on out', async (_what, env, message) => {
    const { code, out, err } = await token(env);
    expect(code).toBe(78);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain(message);
  });

  it('refuses when the dev secret cannot be kept: a token would die with the next start', async () => {
    const { code, out, err } = await token(
      {},
      { devSecret: () => ({ ...kept, kept: false, note: 'cannot write /x (EROFS)' }) },
    );
    expect(code).toBe(78);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain(
      "the embedded API's dev secret cannot be kept (cannot write /x (EROFS))",
    );
    expect(err.join('\n').includes(DEV_SECRET), 'the secret in a message').toBe(false);
  });

  it.each([
    [
      { ttl: '31d' },
      '--ttl expects seconds or a duration like 90s, 45m, 24h or 30d, from 1 s to 30 days',
    ],
    [{ ttl: 'soon' }, '--ttl expects seconds'],
    [{ sub: '' }, '--sub must not be empty'],
    [{ sub: ' alice' }, '--sub must not start or end with whitespace'],
    [{ tenant: 'a\tb' }, '--tenant must not contain control characters'],
  ])('refuses %j: exit 64', async (options, message) => {
    const { code, out, err } = await token({ TOOLBRIDGE_JWT_SECRET: JWT_SECRET }, options);
    expect(code).toBe(64);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain(message);
  });

  it('notes, on err, a tenant the gateway would refuse', async () => {
    const other = await token({}, { tenant: 'elsewhere' });
    expect(other.code).toBe(0);
    expect(other.err).toEqual([
      'toolbridge-mcp token: note: this gateway serves tenant "dev-tenant" only and answers 403 to a token for "elsewhere"',
    ]);
    const none = await token({
      TOOLBRIDGE_GO_API_BASE_URL: 'https://api.example',
      TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
      TOOLBRIDGE_JWT_SECRET: JWT_SECRET,
    });
    expect(none.code).toBe(0);
    expect(none.err[0]).toContain('note: no tenant claim');
    expect((await verify(none.out[0]!, JWT_SECRET)).payload).not.toHaveProperty('tenant_id');
  });
});

describe('toolbridge-mcp token, then npm start, in one directory', () => {
  it('mints a token the gateway started afterwards accepts', async () => {
    const dir = mkdtempSync(join(root, 'checkout-'));
    const minted = await runCli(['token', '--ttl', '1h'], {}, dir);
    expect(minted.code).toBe(0);
    expect(minted.stderr).toBe('');
    expect(minted.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const jwt = minted.stdout.trim();

    const gateway = startCli([], { TOOLBRIDGE_PORT: '0' }, dir);
    onCleanup(async () => {
      gateway.child.kill('SIGTERM');
      await once(gateway.child, 'exit');
    });
    while (!gateway.stdout().includes('  Bearer ')) await once(gateway.child.stdout, 'data');
    const url = /Streamable HTTP: (\S+)/.exec(gateway.stdout())?.[1] ?? '';
    const initialized = await rawRequest(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${jwt}` },
      body: initializeBody(),
    });
    expect(initialized.status).toBe(200);
  });

  it('refuses a bad --ttl with exit 64 and nothing on stdout', async () => {
    const dir = mkdtempSync(join(root, 'bad-ttl-'));
    const result = await runCli(['token', '--ttl', '1y'], {}, dir);
    expect(result.code).toBe(64);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--ttl expects seconds');
  });
});
