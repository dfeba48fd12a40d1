import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTenantSigner } from '../../../src/tenant-headers/index.ts';
import { recordChild } from '../../helpers/secret-ledger.ts';

const CLI = resolve(import.meta.dirname, '../../../src/backend/cli.ts');

/** Starts `npm run backend`'s entry and collects stdout until it has printed its settings. */
async function startCli(args: string[]) {
  const child = spawn(process.execPath, [CLI, '--port', '0', ...args], {
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // `npm run backend` prints working dev credentials (a tenant header secret and a token) on
  // stdout, for the developer to paste: product output by design, not a log. stderr is scanned.
  recordChild(child, 'npm run backend', { stdout: 'product output' });
  let output = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((done, fail) => {
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Stop with Ctrl-C.')) done();
    });
    child.once('exit', (code) => {
      fail(new Error(`exited early with ${String(code)}`));
    });
  });
  const setting = (pattern: RegExp) => output.match(pattern)?.[1] ?? '';
  return { child, output, setting };
}

describe('npm run backend', () => {
  it('prints its URL and working credentials, and stops cleanly on SIGTERM', async () => {
    const { child, setting } = await startCli([]);
    const url = setting(/listening on (http:\/\/\S+)/);
    const secret = setting(/TOOLBRIDGE_TENANT_HEADER_SECRET=(\S+)/);
    const token = setting(/valid 24 h:\n {2}(\S+)/);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok');
    const signer = createTenantSigner({ tenantId: 'any-tenant', secret });
    const session = await fetch(`${url}/v1/sync/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...signer.headers() },
    });
    expect(session.status).toBe(201);

    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(child.exitCode).toBe(0);
  });

  it('never echoes secrets given on the command line', async () => {
    const { child, output } = await startCli([
      '--jwt-secret',
      'jwt-SENTINEL-secret',
      '--tenant-secret',
      'tenant-SENTINEL-secret',
    ]);
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(output).not.toContain('SENTINEL');
    expect(output).toContain('(as given on the command line)');
  });

  it('refuses a bad port with usage and exit 64', async () => {
    const child = spawn(process.execPath, [CLI, '--port', 'eighty'], { stdio: 'ignore' });
    await once(child, 'exit');
    expect(child.exitCode).toBe(64);
  });

  it('with --auth0-domain and --auth0-audience prints a token that meets its issuer rule', async () => {
    const { child, output, setting } = await startCli([
      '--auth0-domain',
      'tenant.auth0.example',
      '--auth0-audience',
      'https://api.example',
    ]);
    const url = setting(/listening on (http:\/\/\S+)/);
    const secret = setting(/TOOLBRIDGE_TENANT_HEADER_SECRET=(\S+)/);
    const token = setting(/valid 24 h:\n {2}(\S+)/);
    expect(output).toContain('with iss https://tenant.auth0.example/ and aud https://api.example');
    const signer = createTenantSigner({ tenantId: 'any-tenant', secret });
    const session = await fetch(`${url}/v1/sync/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...signer.headers() },
    });
    expect(session.status).toBe(201);
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  it.each([
    [['--auth0-domain', 'tenant.example']],
    [['--jwt-audience', 'aud']],
    [['--auth0-domain', 'd', '--auth0-audience', 'a', '--jwt-issuer', 'i']],
  ])('refuses %j with usage and exit 64', async (args) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    await once(child, 'exit');
    expect(child.exitCode).toBe(64);
  });
});
