import { ConnectionTimeoutError, ErrorReply, createClient } from '@redis/client';
import type { Config } from '../config.ts';
import { redisTarget } from '../store/redis-target.ts';
import type { Report } from './report.ts';

/**
 * The doctor's session store check, when TOOLBRIDGE_REDIS_URL is set: one connection attempt (no
 * retries, unlike the gateway's), AUTH if a password is set, PING, and the server's version.
 * Every failure names host and port and what to change, never the password.
 */

interface Finding {
  readonly problem: string;
  readonly fix: string;
}

const URL_FIX =
  'check TOOLBRIDGE_REDIS_URL (host, port, redis:// or rediss://) and that Redis runs there';

function findingOf(error: unknown, timeoutMs: number): Finding {
  if (error instanceof ErrorReply) {
    if (/^(WRONGPASS|NOAUTH|ERR AUTH|ERR invalid password)/.test(error.message)) {
      return {
        problem: /^NOAUTH/.test(error.message)
          ? 'Redis wants a password and none was given'
          : 'Redis refused the password',
        fix: 'set the password in TOOLBRIDGE_REDIS_URL (redis://:password@host:port) or TOOLBRIDGE_REDIS_PASSWORD',
      };
    }
    return { problem: 'Redis answered with an error', fix: URL_FIX };
  }
  if (error instanceof ConnectionTimeoutError) {
    return { problem: `no connection within ${timeoutMs} ms`, fix: URL_FIX };
  }
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  if (code === 'ECONNREFUSED') return { problem: 'connection refused', fix: URL_FIX };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { problem: 'the host name does not resolve', fix: URL_FIX };
  }
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /certificate/i.test(code)) {
    return {
      problem: 'the TLS handshake failed',
      fix: 'use rediss:// only for a TLS port, and check the server certificate',
    };
  }
  return { problem: `the connection failed${code === '' ? '' : ` (${code})`}`, fix: URL_FIX };
}

export async function checkRedis(config: Config, report: Report, timeoutMs: number): Promise<void> {
  const url = config.redisUrl;
  if (url === undefined) return;
  const label = `session store (Redis at ${redisTarget(url)})`;
  const client = createClient({
    url,
    ...(config.redisPassword === undefined ? {} : { password: config.redisPassword }),
    disableOfflineQueue: true,
    commandOptions: { timeout: timeoutMs, rejectInFlight: true },
    socket: { connectTimeout: timeoutMs, reconnectStrategy: false },
  });
  // The failure is reported from connect()'s rejection; without a listener it would be thrown.
  client.on('error', () => undefined);
  try {
    const started = performance.now();
    await client.connect();
    await client.ping();
    const ms = Math.round(performance.now() - started);
    const info = await client.info('server');
    const version = /^redis_version:(\S+)/m.exec(info)?.[1];
    report.pass(
      `${label}: connected and answered PING in ${ms} ms${version === undefined ? '' : ` (Redis ${version})`}`,
    );
  } catch (error) {
    const { problem, fix } = findingOf(error, timeoutMs);
    report.fail(`${label}: ${problem}`, fix);
  } finally {
    if (client.isOpen) client.destroy();
  }
}
