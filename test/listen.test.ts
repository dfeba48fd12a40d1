import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../src/config.ts';
import { AppError } from '../src/errors.ts';
import { createLogger } from '../src/log.ts';
import { startGateway } from '../src/gateway.ts';
import { serve } from '../src/serve.ts';
import { listen } from './helpers/loopback.ts';
import { recordChild, recordOutput, registerSecret } from './helpers/secret-ledger.ts';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const JWT_SECRET = 'listen-test-jwt-secret-0123456789';
registerSecret(JWT_SECRET);
const workdir = mkdtempSync(join(tmpdir(), 'toolbridge-listen-'));
afterAll(() => {
  rmSync(workdir, { recursive: true, force: true });
});

/** A port on 127.0.0.1 that a server of this test holds until the test ends. */
async function occupiedPort(): Promise<number> {
  return Number(new URL(await listen(createServer())).port);
}

/** The gateway as a process, with the embedded API (a configured secret: no state file). */
async function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    cwd: workdir,
    env: { PATH: process.env['PATH'] ?? '', TOOLBRIDGE_JWT_SECRET: JWT_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  recordChild(child, 'gateway (listen)');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit');
  clearTimeout(killer);
  return { code: child.exitCode, stdout, stderr };
}

function expectOneLine(stderr: string, line: string): void {
  expect(stderr).toBe(`toolbridge-mcp: cannot listen: ${line}\n`);
}

describe('when the gateway cannot listen', () => {
  it('names TOOLBRIDGE_PORT when its port is taken: exit 69, one line, no stack', async () => {
    const port = await occupiedPort();
    const { code, stderr } = await start({
      TOOLBRIDGE_HOST: '127.0.0.1',
      TOOLBRIDGE_PORT: `${port}`,
    });
    expectOneLine(
      stderr,
      `port ${port} (TOOLBRIDGE_PORT) is already in use on 127.0.0.1 (EADDRINUSE): stop what listens there, or set TOOLBRIDGE_PORT to a free port`,
    );
    expect(code).toBe(69);
  });

  it('names TOOLBRIDGE_METRICS_PORT when the metrics port is taken', async () => {
    const port = await occupiedPort();
    const { code, stdout, stderr } = await start({
      TOOLBRIDGE_PORT: '0',
      TOOLBRIDGE_METRICS_PORT: `${port}`,
    });
    expectOneLine(
      stderr,
      `port ${port} (TOOLBRIDGE_METRICS_PORT) is already in use on 127.0.0.1 (EADDRINUSE): stop what listens there, or set TOOLBRIDGE_METRICS_PORT to a free port`,
    );
    expect(code).toBe(69);
    // The MCP listener came up before the metrics one failed: no banner for a gateway that is not.
    expect(stdout).not.toContain('Streamable HTTP:');
  });

  it('names TOOLBRIDGE_HOST when it does not resolve', async () => {
    const { code, stderr } = await start({
      TOOLBRIDGE_HOST: 'nonexistent.invalid',
      TOOLBRIDGE_PORT: '0',
    });
    expect(stderr).toMatch(
      /^toolbridge-mcp: cannot listen: TOOLBRIDGE_HOST "nonexistent\.invalid" cannot be resolved to an address \((ENOTFOUND|EAI_AGAIN|EAI_FAIL)\): set it to an address of this machine, e\.g\. 127\.0\.0\.1 or 0\.0\.0\.0\n$/,
    );
    expect(code).toBe(69);
  });

  it('closes the embedded API before failing', async () => {
    const port = await occupiedPort();
    const lines: string[] = [];
    recordOutput('serve() log', () => lines.join(''));
    const log = createLogger({
      level: 'info',
      destination: {
        write: (line: string) => {
          lines.push(line);
        },
      },
    });
    const config = loadConfig({
      env: { TOOLBRIDGE_JWT_SECRET: JWT_SECRET, TOOLBRIDGE_PORT: `${port}` },
    });
    const failure = await serve(config, 'http', log, { stateDir: workdir }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'LISTEN_FAILED' });
    const started = z
      .object({ url: z.string() })
      .parse(
        lines
          .map((line): unknown => JSON.parse(line))
          .find(
            (entry) =>
              z.object({ msg: z.literal('embedded ToolBridge API listening') }).safeParse(entry)
                .success,
          ),
      );
    await expect(fetch(`${started.url}/healthz`)).rejects.toThrow();
  });
});

describe('startGateway', () => {
  it('leaves no MCP listener behind when its metrics port is taken', async () => {
    const metricsPort = await occupiedPort();
    const probe = createServer();
    const mcpPort = Number(new URL(await listen(probe)).port);
    await new Promise((done) => probe.close(done));
    const failure = await startGateway(
      {
        goApiBaseUrl: 'http://127.0.0.1:9',
        tenantHeaderSecret: 'listen-test-tenant-secret',
        auth: { mode: 'jwt', jwtSecret: JWT_SECRET, tenantClaim: 'tenant_id' },
        host: '127.0.0.1',
        port: mcpPort,
        metricsPort,
        allowedOrigins: [],
        toolTimeoutMs: 1_000,
        sessionIdleSeconds: 60,
        maxSessions: 10,
      },
      createLogger({ level: 'silent' }),
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'EADDRINUSE' });
    // The MCP port is free again: a new server can take it.
    const again = createServer();
    await new Promise<void>((done, fail) => {
      again.once('error', fail);
      again.listen(mcpPort, '127.0.0.1', done);
    });
    await new Promise((done) => again.close(done));
  });
});
