import { createHash } from 'node:crypto';
import { ErrorReply } from '@redis/client';
import type { RedisClient } from './redis-connection.ts';

/** The SHA-1 Redis knows a script by (EVALSHA). */
export const sha1 = (script: string): string => createHash('sha1').update(script).digest('hex');

/**
 * Runs a Lua script in one round trip: EVALSHA, and EVAL once when Redis has lost the script (a
 * restart, SCRIPT FLUSH). The session store and the rate limiter both call their scripts so.
 */
export async function evalScript(
  client: RedisClient,
  source: string,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await client.sendCommand(['EVALSHA', sha1(source), ...tail]);
  } catch (error) {
    if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await client.sendCommand(['EVAL', source, ...tail]);
  }
}
