/**
 * Interop harness: the embedded ToolBridge API and the gateway in front of it, in process, on
 * loopback with ephemeral ports; plus a helper to run a third-party client as a child process.
 * Clients under test get a clean environment (no proxy variables, a throw-away HOME), so they
 * reach nothing but the gateway and leave nothing behind.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { startBackend } from '../../src/backend/index.ts';
import { startGateway, type GatewaySettings } from '../../src/gateway.ts';
import { gatewayLogger } from '../helpers/log-capture.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { recordChild } from '../helpers/secret-ledger.ts';

export const TENANT = 'tenant-interop';

/** The 41 tool names in tools/list order, from the recorded Python service. */
export const TOOL_NAMES: readonly string[] = z
  .array(z.object({ name: z.string() }))
  .parse(JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/tools.json'), 'utf8')))
  .map((tool) => tool.name);

export interface InteropStack {
  /** Gateway base URL, without /mcp. */
  readonly url: string;
  /** A valid bearer token (HS256, sub + tenant_id) for `sub`. */
  token(sub?: string): Promise<string>;
}

/** Backend + gateway for one test; both are closed after it. */
export async function startStack(): Promise<InteropStack> {
  const jwtSecret = `jwt-${randomBytes(24).toString('hex')}`;
  const tenantHeaderSecret = `tenant-${randomBytes(24).toString('hex')}`;
  const backend = await startBackend({ port: 0, jwtSecret, tenantHeaderSecret });
  onCleanup(() => backend.close());
  const settings: GatewaySettings = {
    goApiBaseUrl: backend.url,
    tenantHeaderSecret,
    auth: { mode: 'jwt', jwtSecret, tenantClaim: 'tenant_id' },
    host: '127.0.0.1',
    port: 0,
    allowedOrigins: [],
    toolTimeoutMs: 10_000,
    sessionIdleSeconds: 1800,
    maxSessions: 1000,
  };
  const gateway = await startGateway(settings, gatewayLogger('gateway log (interop)', settings));
  onCleanup(() => gateway.close());
  return {
    url: gateway.url,
    token: (sub = 'interop-user') =>
      new SignJWT({ tenant_id: TENANT })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(jwtSecret)),
  };
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a client to completion (asynchronously: the gateway it talks to lives in this process).
 * The environment is PATH plus a fresh HOME and nothing else; killed after `timeoutMs`.
 */
export async function runClient(
  command: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<Finished> {
  const home = mkdtempSync(join(tmpdir(), 'toolbridge-interop-home-'));
  try {
    const child = spawn(command, args, {
      cwd: home,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: home,
        NO_COLOR: '1',
        NO_PROXY: '*',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The client prints what the gateway answered, error texts included.
    recordChild(child, `client ${basename(command)}`);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((done, fail) => {
      child.once('error', fail);
      child.once('close', (exitCode) => {
        done(exitCode);
      });
    }).finally(() => {
      clearTimeout(timer);
    });
    return { code, stdout, stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** A tools/call result as both clients print it. */
export const ToolResult = z.object({
  content: z.array(z.object({ type: z.string(), text: z.string().optional() })),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
  isError: z.boolean().optional(),
});

/** The note a create_note/get_note returns. */
export const Note = z.object({
  uid: z.uuid(),
  version: z.number(),
  updatedAt: z.string(),
  deletedAt: z.null(),
  payload: z.record(z.string(), z.unknown()),
});
