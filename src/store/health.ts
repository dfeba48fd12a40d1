import type { RedisConnection } from './redis-connection.ts';

/**
 * The session store's part of readiness: a replica whose Redis does not answer cannot serve
 * sessions, so /readyz should say 503 and why. Names TOOLBRIDGE_REDIS_URL's host and port,
 * never its password.
 */
export async function redisReadiness(
  connection: RedisConnection,
  timeoutMs = 500,
): Promise<string | undefined> {
  try {
    await connection.run('ping', (client) =>
      client.sendCommand(['PING'], { timeout: timeoutMs, rejectInFlight: true }),
    );
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : 'session store unavailable';
  }
}
