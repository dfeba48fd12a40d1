import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { recordCliOutput } from './helpers/cli.ts';
import { openRaw } from './helpers/raw-socket.ts';
import { recordChild, registerEnvSecrets } from './helpers/secret-ledger.ts';
import { MCP_HEADERS, initializeBody, rawRequest } from './e2e/stack.ts';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const SECRET = 'tenant-secret-0123456789-SENTINEL';
const workdir = mkdtempSync(join(tmpdir(), 'toolbridge-main-'));
afterAll(() => {
  rmSync(workdir, { recursive: true, force: true });
});

/** Asserts `text` does not contain `secret` without ever printing either. */
function expectNoLeak(text: string, secret: string, what: string): void {
  expect(text.includes(secret), `${what} leaked`).toBe(false);
}

const ToolsList = z.object({ result: z.object({ tools: z.array(z.unknown()) }) });

const cleanEnv = (env: Record<string, string>) => ({ PATH: process.env['PATH'] ?? '', ...env });

/** Runs the CLI to completion as a newcomer would: clean environment, own working directory. */
function run(env: Record<string, string>, args: string[] = [], cwd = workdir) {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    cwd,
    env: cleanEnv(env),
    encoding: 'utf8',
    timeout: 15_000,
  });
  registerEnvSecrets(env);
  recordCliOutput(args, result);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the gateway and resolves once it has printed its banner. */
async function start(env: Record<string, string>, cwd = workdir) {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registerEnvSecrets(env);
  recordChild(child, 'gateway (npm start)');
  let stdout = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((done, fail) => {
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      // The banner ends with the dev token, or with the note that replaces it.
      if (/(Bearer \S+|signed with TOOLBRIDGE_JWT_SECRET)\n/.test(stdout)) done();
    });
    child.once('exit', (code) => {
      // Not the output itself: it may hold the dev bearer token.
      fail(new Error(`exited (${String(code)}) before printing the banner's last line`));
    });
  });
  return { child, stdout: () => stdout };
}

describe('toolbridge-mcp start-up', () => {
  it('applies TOOLBRIDGE_HTTP_HEADER_TIMEOUT_SECONDS to its listener', async () => {
    const { stdout } = await start({
      TOOLBRIDGE_HOST: '127.0.0.1',
      TOOLBRIDGE_PORT: '0',
      TOOLBRIDGE_JWT_SECRET: 'header-timeout-test-secret-0123',
      TOOLBRIDGE_HTTP_HEADER_TIMEOUT_SECONDS: '1',
    });
    const url = /Streamable HTTP: (\S+)/.exec(stdout())?.[1] ?? '';
    const conn = await openRaw(new URL(url).origin);
    conn.write('GET /healthz HTTP/1.1\r\n');
    conn.trickle('X-Slow: a\r\n', 200);
    // The default (10 s) would still be waiting; the bound leaves room for a busy machine.
    expect(await conn.closed).toBeLessThan(4_000);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('with no configuration: serves on the embedded backend and prints the MCP URL and a dev token', async () => {
    const { child, stdout } = await start({ TOOLBRIDGE_HOST: '127.0.0.1', TOOLBRIDGE_PORT: '0' });
    const url = /Streamable HTTP: (\S+)/.exec(stdout())?.[1] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const metadata = await fetch(url.replace('/mcp', '/.well-known/oauth-protected-resource/mcp'));
    expect(await metadata.json()).toMatchObject({ resource: url });
    const unauthenticated = await fetch(url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(unauthenticated.status).toBe(401);

    // The printed token is the one to use: it opens a session and lists the tools.
    const token = /^ {2}Bearer (\S+)$/m.exec(stdout())?.[1];
    expect(token, 'a "  Bearer <token>" line in the banner').toBeDefined();
    const authorization = `Bearer ${token ?? ''}`;
    const initialized = await rawRequest(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: authorization },
      body: initializeBody(),
    });
    expect(initialized.status).toBe(200);
    const sessionId = initialized.headers.get('mcp-session-id');
    expect(sessionId, 'an Mcp-Session-Id header').not.toBeNull();
    const listed = await rawRequest(url, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        Authorization: authorization,
        'Mcp-Session-Id': sessionId ?? '',
        'Mcp-Protocol-Version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
    });
    expect(listed.status).toBe(200);
    expect(ToolsList.parse(listed.json).result.tools).toHaveLength(41);

    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(child.exitCode).toBe(0);
    const lines = stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(lines.map((line): unknown => JSON.parse(line))).toContainEqual(
      expect.objectContaining({
        msg: 'shutting down: draining in-flight calls',
        signal: 'SIGTERM',
      }),
    );
  });

  it('keeps the dev secret across restarts: a token printed by one run works in the next', async () => {
    const dir = realpathSync(mkdtempSync(join(workdir, 'restart-')));
    const env = { TOOLBRIDGE_HOST: '127.0.0.1', TOOLBRIDGE_PORT: '0' };
    const first = await start(env, dir);
    const token = /^ {2}Bearer (\S+)$/m.exec(first.stdout())?.[1] ?? '';
    first.child.kill('SIGTERM');
    await once(first.child, 'exit');

    const second = await start(env, dir);
    const file = join(dir, '.toolbridge', 'dev-secrets.json');
    expect(second.stdout()).toContain(`  Dev secret: kept in ${file} (tokens outlive restarts`);
    const url = /Streamable HTTP: (\S+)/.exec(second.stdout())?.[1] ?? '';
    const initialized = await rawRequest(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${token}` },
      body: initializeBody(),
    });
    expect(initialized.status, "the first run's token, in the second run").toBe(200);
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
    const { jwtSecret } = z
      .object({ jwtSecret: z.string() })
      .parse(JSON.parse(readFileSync(file, 'utf8')));
    expectNoLeak(first.stdout() + second.stdout(), jwtSecret, 'the dev secret');
  });

  it('with its own TOOLBRIDGE_JWT_SECRET, the embedded backend prints no token signed with it', async () => {
    const jwtSecret = 'a-configured-secret-0123456789';
    const { child, stdout } = await start({
      TOOLBRIDGE_HOST: '127.0.0.1',
      TOOLBRIDGE_PORT: '0',
      TOOLBRIDGE_JWT_SECRET: jwtSecret,
    });
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(stdout()).toContain('Client tokens: HS256, signed with TOOLBRIDGE_JWT_SECRET');
    expect(/Bearer ey/.test(stdout()), 'a bearer token in the banner').toBe(false);
    expectNoLeak(stdout(), jwtSecret, 'TOOLBRIDGE_JWT_SECRET');
  });

  it('with NODE_ENV=production and no Go API, refuses the embedded one: exit 78', () => {
    const { code, stdout, stderr } = run({ NODE_ENV: 'production', TOOLBRIDGE_PORT: '0' });
    expect(code).toBe(78);
    expect(stdout).toBe('');
    expect(stderr).toContain('TOOLBRIDGE_GO_API_BASE_URL is required with NODE_ENV=production');
  });

  it('with a bad configuration: one message naming every problem, no stack, no secret, exit 78', () => {
    const { code, stdout, stderr } = run({
      TOOLBRIDGE_GO_API_BASE_URL: 'https://api.example.com',
      TOOLBRIDGE_TENANT_ID: ' padded',
      TOOLBRIDGE_TENANT_HEADER_SECRET: SECRET,
      TOOLBRIDGE_PORT: 'eighty',
      TOOLBRIDGE_JWT_TOKEN: `Bearer ${SECRET}`,
    });
    expect(code).toBe(78);
    expect(stdout).toBe('');
    expect(stderr).toContain('toolbridge-mcp: invalid configuration (4 problems):');
    for (const name of ['TENANT_ID', 'PORT', 'JWT_TOKEN', 'JWT_SECRET']) {
      expect(stderr).toContain(`TOOLBRIDGE_${name} `);
    }
    expectNoLeak(stderr, 'SENTINEL', 'the tenant secret or JWT token');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('reads ./.env from its working directory', () => {
    const dir = mkdtempSync(join(workdir, 'dotenv-'));
    writeFileSync(join(dir, '.env'), 'TOOLBRIDGE_GO_API_BASE_URL=https://api.example.com\n');
    const { code, stderr } = run({}, [], dir);
    expect(code).toBe(78);
    expect(stderr).toContain(
      'TOOLBRIDGE_TENANT_HEADER_SECRET is required with TOOLBRIDGE_GO_API_BASE_URL',
    );
  });

  it('refuses --stdio without a backend identity', () => {
    const { code, stderr } = run({}, ['--stdio']);
    expect(code).toBe(78);
    expect(stderr).toContain('TOOLBRIDGE_JWT_TOKEN is required with --stdio');
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    [
      'an array tenant claim',
      { tenant_id: ['t-1'] },
      '',
      "the 'tenant_id' claim of TOOLBRIDGE_JWT_TOKEN must be a non-empty string",
    ],
    [
      'another tenant than the pinned one',
      { tenant_id: 't-2' },
      't-1',
      "the 'tenant_id' claim of TOOLBRIDGE_JWT_TOKEN must be TOOLBRIDGE_TENANT_ID's tenant",
    ],
    [
      'no tenant at all',
      {},
      '',
      "--stdio needs TOOLBRIDGE_TENANT_ID or a 'tenant_id' claim in TOOLBRIDGE_JWT_TOKEN",
    ],
  ])('refuses --stdio with %s in TOOLBRIDGE_JWT_TOKEN', async (_name, claims, pinned, message) => {
    const token = await new SignJWT({ sub: 'u', ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('stdio-tenant-test-secret'));
    const env = {
      TOOLBRIDGE_GO_API_BASE_URL: 'http://127.0.0.1:9',
      TOOLBRIDGE_TENANT_HEADER_SECRET: 'stdio-tenant-header-secret',
      TOOLBRIDGE_JWT_TOKEN: token,
      ...(pinned === '' ? {} : { TOOLBRIDGE_TENANT_ID: pinned }),
    };
    const { code, stderr } = run(env, ['--stdio']);
    expect(code).toBe(78);
    expect(stderr).toContain(`\ntoolbridge-mcp: invalid configuration: ${message}\n`);
  });

  it('answers --version with the package version', () => {
    const pkg = z
      .object({ version: z.string() })
      .parse(JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')));
    expect(run({}, ['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('answers --help, and refuses an unknown argument with exit 64', () => {
    const help = run({}, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: toolbridge-mcp');
    const bogus = run({}, ['--bogus']);
    expect(bogus.code).toBe(64);
    expect(bogus.stderr).toContain("Unknown option '--bogus'");
  });
});
