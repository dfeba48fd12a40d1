import { AppError } from '../errors.ts';
import { describeFailure, type RedisConnection } from './redis-connection.ts';

/**
 * The session store's part of readiness: a replica whose Redis does not answer cannot serve
 * sessions, so /readyz should say 503 and why. /readyz answers anyone, so the reason names the
 * variable to look at, never Redis's host, port or password (the log has the host).
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
    const cause = error instanceof AppError ? error.cause : error;
    return `session store unavailable: Redis (TOOLBRIDGE_REDIS_URL) ${describeFailure(cause, timeoutMs)}`;
  }
}
