/**
 * A real round-robin load balancer on loopback for the multi-replica tests: Debian's HAProxy,
 * started by the test with a configuration of its own on a free port and stopped after it. Each
 * request is balanced on its own, keep-alive connections included, as Fly's proxy does. It logs
 * every request it has finished (which replica, which MCP session), so a test can show where a
 * client it cannot instrument was served.
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

/** One request HAProxy has finished, from its log. */
export interface Served {
  /** The replica it went to: `r0`, `r1`, … in the order the replicas were given. */
  readonly server: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Mcp-Session-Id the request carried or, for an initialize, the one its answer made. */
  readonly session: string | undefined;
  /** X-TB-Replica of the answer. */
  readonly replica: string | undefined;
}

export interface Balancer {
  /** `http://127.0.0.1:port` */
  readonly url: string;
  /** The requests logged so far, oldest first (it grows). */
  readonly served: readonly Served[];
  /** When each replica (`r1`) was last marked down by its readiness checks (Date.now()). */
  readonly downAt: ReadonlyMap<string, number>;
  /**
   * Resolves with what `check` returns once it is not undefined, checked on every log line; so a
   * test waits for the line it needs rather than for time to pass.
   */
  until<T>(check: (served: readonly Served[]) => T | undefined, timeoutMs?: number): Promise<T>;
  /**
   * Takes replica `index` out of rotation, as Fly's proxy soft-cordons a machine before it
   * stops it: HAProxy's DRAIN state, where requests under way finish and no new one is sent.
   */
  readonly cordon: (index: number) => Promise<void>;
}

// Captures are numbered in the order declared: request 0, response 0 and 1.
const CAPTURES = [
  '  capture request header Mcp-Session-Id len 64',
  '  capture response header Mcp-Session-Id len 64',
  '  capture response header X-TB-Replica len 64',
];
const LOG_FORMAT =
  '%s %HM %HP %ST %[capture.req.hdr(0)] %[capture.res.hdr(0)] %[capture.res.hdr(1)]';

const LOG_LINE = /^(r\d+|<NOSRV>) (\S+) (\S+) (-?\d+) (\S+) (\S+) (\S+)$/;

/** A log line as LOG_FORMAT writes it; HAProxy writes `-` for a header that was not there. */
function parseServed(line: string): Served | undefined {
  const match = LOG_LINE.exec(line);
  if (match === null) return undefined;
  const [, server = '', method = '', path = '', status, sent, answered, replica] = match;
  const present = (value: string | undefined) => (value === '-' ? undefined : value);
  return {
    server,
    method,
    path,
    status: Number(status),
    session: present(sent) ?? present(answered),
    replica: present(replica),
  };
}

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

/** Origins (`http://127.0.0.1:port`) of the replicas behind it. Resolves with its own origin. */
export async function startLoadBalancer(replicas: readonly string[]): Promise<string> {
  return (await startBalancer(replicas)).url;
}

export interface BalancerOptions {
  /**
   * Poll each replica's /readyz this often and route only to those that answer 200, as HAProxy
   * or a Kubernetes Service is run in front of replicas. Unset: no checks.
   */
  readonly readinessCheckMs?: number;
}

/** Like startLoadBalancer, with the log of the requests it served and its runtime API. */
export async function startBalancer(
  replicas: readonly string[],
  { readinessCheckMs }: BalancerOptions = {},
): Promise<Balancer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'toolbridge-haproxy-'));
  const adminSocket = join(dir, 'admin.sock');
  const check =
    readinessCheckMs === undefined ? '' : ` check inter ${readinessCheckMs}ms fall 1 rise 2`;
  const servers = replicas.map((origin, i) => `  server r${i} ${new URL(origin).host}${check}`);
  const config = [
    'global',
    '  maxconn 2000',
    // One thread logs requests in the order they finish.
    '  nbthread 1',
    '  log stderr format raw local0',
    `  stats socket ${adminSocket} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  log global',
    // Not the readiness probe below, which connects and leaves.
    '  option dontlognull',
    '  timeout connect 2s',
    // Streams (SSE, GET /mcp) stay open and quiet for longer than a request would.
    '  timeout client 5m',
    '  timeout server 5m',
    '  timeout tunnel 1h',
    'frontend mcp',
    `  bind 127.0.0.1:${port}`,
    ...CAPTURES,
    `  log-format "${LOG_FORMAT}"`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    // A replica that refuses the connection (killed) is skipped for the next, as Fly's proxy does.
    '  retries 2',
    '  option redispatch 1',
    // /readyz asks the API, which may be slow on purpose: a check may take longer than `inter`.
    ...(readinessCheckMs === undefined
      ? []
      : ['  option httpchk GET /readyz', '  timeout check 3s']),
    ...servers,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  const child = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let partial = '';
  const served: Served[] = [];
  const downAt = new Map<string, number>();
  const listeners = new Set<() => void>();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const request = parseServed(line);
      if (request !== undefined) served.push(request);
      const down = /Server replicas\/(r\d+) is DOWN/.exec(line)?.[1];
      if (down !== undefined) downAt.set(down, Date.now());
    }
    for (const listener of listeners) listener();
  });
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

  const until = <T>(check: (log: readonly Served[]) => T | undefined, timeoutMs = 5_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`the balancer's log never showed it; it has:\n${stderr}`));
      }, timeoutMs);
      function listener() {
        const found = check(served);
        if (found === undefined) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(found);
      }
      listeners.add(listener);
      listener();
    });

  const cordon = (index: number) =>
    runtimeCommand(adminSocket, `set server replicas/r${index} state drain`);
  for (let i = 0; i < 100; i += 1) {
    if (await Promise.race([accepts(port), failed])) {
      return { url: `http://127.0.0.1:${port}`, served, downAt, until, cordon };
    }
    await sleep(50);
  }
  throw new Error(`haproxy did not listen on ${port}: ${stderr}`);
}
