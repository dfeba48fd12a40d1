import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../store/redis-connection.ts';
import { evalScript } from '../store/redis-eval.ts';
import { EPSILON, TAKEN, type Bucket, type Taken, type TokenBuckets } from './buckets.ts';

/**
 * Token buckets shared by replicas through Redis: every bucket of one call is checked and taken
 * by one script, in one round trip and atomically, so two replicas taking the last token at once
 * cannot both get it, and a refused call takes nothing. Time is Redis's (TIME), so replicas'
 * clocks need not agree. A bucket is a hash `l` (tokens), `t` (ms) under `P<sha1 of its id>`,
 * expiring once it would be full again: a missing key is a full bucket.
 *
 * With Redis unreachable the same buckets are counted in this process (`fallback`): each replica
 * then allows up to the limit by itself. Failing closed would turn a Redis outage into refusing
 * every tool call, stateless ones included, which do not need Redis otherwise; failing wide open
 * would drop the limits altogether. After a failure Redis is tried again only after
 * RETRY_REDIS_MS, so a hung Redis costs one command timeout per interval, not one per call.
 */

/** KEYS: the buckets. ARGV: per bucket, its rate (tokens per ms) and burst. → {0} | {i, ms} */
export const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local levels = {}
local worst, wait = 0, 0
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local last = redis.call('HMGET', key, 'l', 't')
  local level = burst
  if last[1] and last[2] then
    level = math.min(burst, tonumber(last[1]) + math.max(0, now - tonumber(last[2])) * rate)
  end
  levels[i] = level
  if level + ${EPSILON} < 1 then
    local ms = (1 - level) / rate
    if ms > wait then worst, wait = i, ms end
  end
end
if worst > 0 then return {worst, string.format('%.17g', wait)} end
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('HSET', key, 'l', string.format('%.17g', levels[i] - 1), 't', string.format('%.17g', now))
  redis.call('PEXPIRE', key, math.ceil(burst / rate) + 1000)
end
return {0}
`;

const Reply = z.union([z.tuple([z.literal(0)]), z.tuple([z.number().int().min(1), z.string()])]);

/** After Redis failed, how long the buckets are counted in this process before it is tried again. */
export const RETRY_REDIS_MS = 1000;
/** At most one warning per this long while Redis is away. */
const WARN_EVERY_MS = 10_000;

export interface RedisBucketsOptions {
  connection: RedisConnection;
  /** Counts the buckets while Redis is unreachable. */
  fallback: TokenBuckets;
  /** Told, at most once per 10 s, that limits are counted per replica for now. */
  onFallback?: (message: string) => void;
  /** Key prefix; keep a `{hash tag}` in it so one script's keys share a cluster slot. */
  prefix?: string;
  /** Milliseconds, for the retry interval and the warnings only (default performance.now). */
  now?: () => number;
}

export function createRedisBuckets(options: RedisBucketsOptions): TokenBuckets {
  const { connection, fallback, prefix = 'tb:{limits}:' } = options;
  const now = options.now ?? (() => performance.now());
  let retryAt = -Infinity;
  let warnedAt = -Infinity;

  const keyOf = (bucket: Bucket) =>
    `${prefix}${createHash('sha1').update(bucket.id).digest('hex')}`;

  /** Redis failed (the connection reports how): the buckets are counted here for a while. */
  function degrade(buckets: readonly Bucket[]): Promise<Taken> {
    const at = now();
    retryAt = at + RETRY_REDIS_MS;
    if (at - warnedAt >= WARN_EVERY_MS) {
      warnedAt = at;
      options.onFallback?.(
        'Redis did not answer a rate-limit check: limits are counted per replica until it does',
      );
    }
    return fallback.take(buckets);
  }

  return {
    kind: 'redis',
    async take(buckets) {
      if (buckets.length === 0) return TAKEN;
      if (now() < retryAt) return fallback.take(buckets);
      const args: string[] = [];
      for (const bucket of buckets)
        args.push(String(bucket.perSecond / 1000), String(bucket.burst));
      let reply: z.output<typeof Reply>;
      try {
        reply = await connection.run('rate_limit', async (client) =>
          Reply.parse(await evalScript(client, TAKE, buckets.map(keyOf), args)),
        );
      } catch {
        return degrade(buckets);
      }
      if (reply.length === 1) return TAKEN;
      const [index, wait] = reply;
      return { ok: false, index: index - 1, retryAfterMs: Number(wait) };
    },
  };
}
