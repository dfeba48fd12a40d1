import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startBackend } from '../src/backend/index.ts';
import { startFront } from './e2e/stack.ts';
import { recordCliOutput } from './helpers/cli.ts';
import { onCleanup } from './helpers/loopback.ts';
import { recordOutput, registerEnvSecrets } from './helpers/secret-ledger.ts';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');

/** `main.ts --stdio` as a raw child process, with what it wrote so far. */
function spawnStdio(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN, '--stdio'], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  onCleanup(() => {
    child.kill('SIGKILL');
    return Promise.resolve();
  });
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      resolveExit(code);
    });
  });
  const seen = { stdout: '', stderr: '' };
  // stdout carries the protocol: the gateway's answers, error texts included.
  recordOutput('gateway --stdio stdout', () => seen.stdout);
  recordOutput('gateway --stdio stderr', () => seen.stderr);
  child.stdout.on('data', (chunk: Buffer) => {
    seen.stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    seen.stderr += chunk.toString();
  });
  const send = (message: unknown) => {
    child.stdin.write(`${JSON.stringify(message)}\n`);
  };
  /** Resolves once stdout holds an answer for `id`. */
  const answer = async (id: number) => {
    while (!seen.stdout.includes(`"id":${String(id)}`)) await once(child.stdout, 'data');
  };
  const initialize = async () => {
    const params = {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    };
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params });
    await answer(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  };
  return { child, seen, send, answer, initialize, exited };
}
const JWT_SECRET = 'stdio-test-jwt-secret';
const TENANT_SECRET = 'stdio-test-tenant-secret';

/** The embedded API on loopback, closed after the test. */
async function apiForTest() {
  const backend = await startBackend({
    port: 0,
    jwtSecret: JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
  });
  onCleanup(() => backend.close());
  return backend;
}

/** A Claude Desktop configuration's variables, for the API at `apiUrl`. */
async function desktopEnv(apiUrl: string) {
  const token = await new SignJWT({ sub: 'desktop-user' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JWT_SECRET));
  const env = {
    TOOLBRIDGE_GO_API_BASE_URL: apiUrl,
    TOOLBRIDGE_TENANT_ID: 'desktop-tenant',
    TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
    TOOLBRIDGE_JWT_TOKEN: token,
  };
  registerEnvSecrets(env);
  return { token, env };
}

describe('toolbridge-mcp --stdio (Claude Desktop configurations)', () => {
  it('serves the tools over stdin/stdout as the TOOLBRIDGE_JWT_TOKEN user, logging to stderr only', async () => {
    const backend = await apiForTest();
    const { token, env } = await desktopEnv(backend.url);

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MAIN, '--stdio'],
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stderr: 'pipe',
    });
    let stderr = '';
    recordOutput('gateway --stdio stderr (SDK transport)', () => stderr);
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    onCleanup(() => client.close());

    expect((await client.listTools()).tools).toHaveLength(41);
    const created = await client.callTool({
      name: 'create_note',
      arguments: { title: 'From stdio', content: 'x' },
    });
    expect(created.isError).toBe(false);
    expect(created.structuredContent).toMatchObject({
      version: 1,
      deletedAt: null,
      payload: { title: 'From stdio' },
    });
    const health = await client.callTool({ name: 'health_check', arguments: {} });
    expect(health.structuredContent).toEqual({
      status: 'healthy',
      tenant_id: 'desktop-tenant',
      go_api_base_url: backend.url,
    });

    expect(stderr).toContain('"msg":"starting"');
    expect(stderr.includes(token), 'stderr leaks the API token').toBe(false);
    expect(stderr.includes(TENANT_SECRET), 'stderr leaks the tenant secret').toBe(false);
  });

  it('with the embedded API: TOOLBRIDGE_JWT_SECRET and a token from `toolbridge-mcp token`', async () => {
    // docs/running.md's Claude Desktop set-up without a Go API, step by step.
    const cwd = mkdtempSync(join(tmpdir(), 'toolbridge-stdio-'));
    onCleanup(() => rm(cwd, { recursive: true, force: true }));
    const env = { PATH: process.env['PATH'] ?? '', TOOLBRIDGE_JWT_SECRET: JWT_SECRET };
    const minted = spawnSync(process.execPath, [MAIN, 'token', '--ttl', '1h'], {
      cwd,
      env,
      encoding: 'utf8',
    });
    recordCliOutput(['token'], minted);
    expect(minted.status).toBe(0);
    const token = minted.stdout.trim();

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MAIN, '--stdio'],
      cwd,
      env: { ...env, TOOLBRIDGE_JWT_TOKEN: token },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    recordOutput('gateway --stdio stderr (SDK transport)', () => stderr);
    const client = new Client({ name: 'stdio-embedded-test', version: '1.0.0' });
    await client.connect(transport);
    onCleanup(() => client.close());

    expect((await client.listTools()).tools).toHaveLength(41);
    const created = await client.callTool({
      name: 'create_note',
      arguments: { title: 'Embedded', content: 'x' },
    });
    expect(created.isError).toBe(false);
    const listed = await client.callTool({ name: 'list_notes', arguments: {} });
    expect(listed.isError).toBe(false);
    expect(JSON.stringify(listed.structuredContent)).toContain('"title":"Embedded"');
    const health = await client.callTool({ name: 'health_check', arguments: {} });
    expect(health.structuredContent).toMatchObject({ status: 'healthy', tenant_id: 'dev-tenant' });
  });

  it('stops cleanly, exit code 0, when the client closes stdin', async () => {
    const backend = await apiForTest();
    const { env } = await desktopEnv(backend.url);
    const { child, seen, initialize, exited } = spawnStdio(env);
    await initialize();

    const started = performance.now();
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(seen.stderr).toContain('"msg":"stopped"');
    expect(seen.stderr).not.toContain('Warning');
  });

  it('on SIGTERM, a call still waiting on the API past the drain gets an answer saying so', async () => {
    const front = await startFront({ jwtSecret: JWT_SECRET, tenantHeaderSecret: TENANT_SECRET });
    front.arm({ method: 'GET', path: '/v1/notes', action: { kind: 'delay', ms: 10_000 } });
    const { env } = await desktopEnv(front.url);
    const { child, seen, send, answer, initialize, exited } = spawnStdio({
      ...env,
      TOOLBRIDGE_SHUTDOWN_TIMEOUT_SECONDS: '1',
    });
    await initialize();
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'list_notes', arguments: {} },
    });
    await front.waitForRequests(2);
    child.kill('SIGTERM');
    await answer(2);
    expect(await exited).toBe(0);
    const reply = seen.stdout.split('\n').find((line) => line.includes('"id":2')) ?? '';
    expect(reply).toContain('"isError":true');
    expect(reply).toContain('The gateway is shutting down');
  });
});
