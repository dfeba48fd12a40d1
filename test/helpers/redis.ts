import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerSecret } from './secret-ledger.ts';

/**
 * A real `redis-server` on a free loopback port, for the store tests: nothing persisted, unless
 * `persist` asks for an append-only file. `stop()` kills it as a crash would (SIGKILL) and
 * `start()` brings it back on the same port and data directory (fault tests). No
 * vitest import, so scripts may use it too. A missing `redis-server` fails loudly: the store
 * tests must not pass by not running.
 */
export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:<port> (with the password, when one was asked for). */
  readonly url: string;
  /** The server's process id while it runs (benchmarks read its CPU time from /proc). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  resume(): void;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

const MISSING =
  'redis-server is not installed: the session store tests need a real Redis (Debian/Ubuntu: apt-get install -y redis-server; .ci/run installs it)';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  return address.port;
}

/** True once something on the port answers a PING (+PONG, or -NOAUTH with a password). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(/^[+-]/.test(data.toString('latin1')));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface RedisOptions {
  readonly password?: string;
  /**
   * Keep every acknowledged write across `stop()` and `start()`: an append-only file synced on
   * each write, as a Redis run with persistence keeps its data through a crash. Without it a
   * restart comes back empty, as a cache-only Redis does.
   */
  readonly persist?: boolean;
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  // The gateway is told it, and must not tell anyone (redis-server's own output is not scanned:
  // it is not the gateway's).
  registerSecret(options.password);
  const dir = mkdtempSync(join(tmpdir(), 'toolbridge-redis-'));
  const persistence =
    options.persist === true
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence];
  args.push(
    '--dir',
    dir,
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
  );
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child !== undefined && child.exitCode === null) return;
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const failed = new Promise<never>((_resolve, reject) => {
      proc.once('error', (error) => {
        reject('code' in error && error.code === 'ENOENT' ? new Error(MISSING) : error);
      });
      proc.once('exit', (code) => {
        reject(new Error(`redis-server exited (${code}) before answering: ${output.slice(-500)}`));
      });
    });
    const ready = (async () => {
      const deadline = Date.now() + 10_000;
      while (!(await answers(port))) {
        if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    await Promise.race([ready, failed]);
    failed.catch(() => undefined);
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    proc.kill('SIGCONT');
    await exited;
  };

  await start();
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    get pid() {
      return child?.exitCode === null ? child.pid : undefined;
    },
    start,
    stop,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
