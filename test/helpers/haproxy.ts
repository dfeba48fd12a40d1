/**
 * A real round-robin load balancer on loopback for the multi-replica tests: Debian's HAProxy,
 * started by the test with a configuration of its own on a free port and stopped after it. Each
 * request is balanced on its own, keep-alive connections included, as Fly's proxy does.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from './loopback.ts';

const HAPROXY = 'haproxy';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });

/** One command on HAProxy's runtime API; it answers nothing when the command succeeded. */
async function runtimeCommand(socketPath: string, command: string): Promise<void> {
  const socket = connect(socketPath);
  socket.setEncoding('utf8');
  let answer = '';
  socket.on('data', (chunk: string) => (answer += chunk));
  socket.end(`${command}\n`);
  await once(socket, 'close');
  if (answer.trim() !== '') throw new Error(`haproxy refused "${command}": ${answer.trim()}`);
}

export interface LoadBalancer {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /**
   * Takes replica `index` out of rotation, as Fly's proxy soft-cordons a machine before it
   * stops it: HAProxy's DRAIN state, where requests under way finish and no new one is sent.
   */
  readonly cordon: (index: number) => Promise<void>;
}

/** Origins (`http://127.0.0.1:port`) of the replicas behind it. Resolves with its own origin. */
export async function startLoadBalancer(replicas: readonly string[]): Promise<string> {
  return (await startBalancer(replicas)).origin;
}

/** startLoadBalancer, with a hand on its runtime API. */
export async function startBalancer(replicas: readonly string[]): Promise<LoadBalancer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'toolbridge-haproxy-'));
  const adminSocket = join(dir, 'admin.sock');
  const servers = replicas.map((origin, i) => `  server r${i} ${new URL(origin).host}`);
  const config = [
    'global',
    '  maxconn 2000',
    `  stats socket ${adminSocket} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    // Streams (SSE, GET /mcp) stay open and quiet for longer than a request would.
    '  timeout client 5m',
    '  timeout server 5m',
    '  timeout tunnel 1h',
    'frontend mcp',
    `  bind 127.0.0.1:${port}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    // A replica that refuses the connection (killed) is skipped for the next, as Fly's proxy does.
    '  retries 2',
    '  option redispatch 1',
    ...servers,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  const child = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => {
      reject(
        new Error(
          `cannot start ${HAPROXY} (${error.message}): install Debian's haproxy (.ci/run does)`,
        ),
      );
    });
    child.once('exit', (code) => {
      reject(new Error(`haproxy exited (${String(code)}): ${stderr}`));
    });
  });
  failed.catch(() => undefined);
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const cordon = (index: number) =>
    runtimeCommand(adminSocket, `set server replicas/r${index} state drain`);
  for (let i = 0; i < 100; i += 1) {
    if (await Promise.race([accepts(port), failed])) {
      return { origin: `http://127.0.0.1:${port}`, cordon };
    }
    await sleep(50);
  }
  throw new Error(`haproxy did not listen on ${port}: ${stderr}`);
}
