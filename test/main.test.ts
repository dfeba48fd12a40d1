import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const parseJson = (text: string): unknown => JSON.parse(text);

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const SECRET = 'tenant-secret-0123456789-SENTINEL';
const workdir = mkdtempSync(join(tmpdir(), 'toolbridge-main-'));
afterAll(() => {
  rmSync(workdir, { recursive: true, force: true });
});

/** Runs the CLI as a newcomer would: a clean environment, a working directory of its own. */
function run(env: Record<string, string>, args: string[] = [], cwd = workdir) {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('toolbridge-mcp start-up', () => {
  it('with no configuration: one message naming both required variables, exit 78', () => {
    const { code, stdout, stderr } = run({});
    expect(code).toBe(78);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      'toolbridge-mcp: invalid configuration (2 problems):',
      expect.stringContaining('TOOLBRIDGE_TENANT_ID is required'),
      expect.stringContaining('TOOLBRIDGE_TENANT_HEADER_SECRET is required'),
    ]);
  });

  it('with bad values: names every one, shows no stack trace and no secret', () => {
    const { code, stderr } = run({
      TOOLBRIDGE_TENANT_ID: ' padded',
      TOOLBRIDGE_TENANT_HEADER_SECRET: SECRET,
      TOOLBRIDGE_PORT: 'eighty',
      TOOLBRIDGE_LOG_LEVEL: 'loud',
      TOOLBRIDGE_JWT_TOKEN: `Bearer ${SECRET}`,
    });
    expect(code).toBe(78);
    expect(stderr).toContain('(4 problems)');
    for (const name of ['TENANT_ID', 'PORT', 'LOG_LEVEL', 'JWT_TOKEN']) {
      expect(stderr).toContain(`TOOLBRIDGE_${name} `);
    }
    expect(stderr).not.toContain('SENTINEL');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('with a valid configuration: logs JSON (stdout is not a TTY), never a secret, exit 0', () => {
    const { code, stdout, stderr } = run({
      TOOLBRIDGE_TENANT_ID: 'staging-tenant-001',
      TOOLBRIDGE_TENANT_HEADER_SECRET: SECRET,
      TOOLBRIDGE_JWT_TOKEN: 'shared-token-SENTINEL',
      TOOLBRIDGE_LOG_LEVEL: 'INFO',
      TOOLBRIDGE_UNKNOWN: '1',
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const records = stdout
      .trim()
      .split('\n')
      .map((line) => parseJson(line));
    expect(records).toMatchObject([
      { level: 'warn', msg: 'TOOLBRIDGE_UNKNOWN is not a known variable and is ignored' },
      {
        level: 'info',
        msg: 'configuration is valid',
        config: { tenantId: 'staging-tenant-001', port: 8001 },
      },
    ]);
    expect(stdout).not.toContain('SENTINEL');
  });

  it('reads ./.env from its working directory', () => {
    const dir = mkdtempSync(join(workdir, 'dotenv-'));
    writeFileSync(
      join(dir, '.env'),
      `TOOLBRIDGE_TENANT_ID=from-dotenv\nTOOLBRIDGE_TENANT_HEADER_SECRET=${SECRET}\n`,
    );
    const { code, stdout } = run({}, [], dir);
    expect(code).toBe(0);
    expect(stdout).toContain('"tenantId":"from-dotenv"');
  });

  it('answers --help, and refuses an unknown argument with exit 64', () => {
    const help = run({}, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: toolbridge-mcp');
    const bogus = run({}, ['--bogus']);
    expect(bogus.code).toBe(64);
    expect(bogus.stderr).toContain('unknown argument "--bogus"');
  });
});
