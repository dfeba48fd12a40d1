/**
 * The Go API's per-user token bucket (CONTRACT.md B.5): capacity = burst, refilled at
 * maxRequests / windowSeconds tokens per second, starting full, one token per request.
 */

export interface RateLimitConfig {
  windowSeconds: number;
  maxRequests: number;
  burst: number;
}

export const GO_RATE_LIMIT: RateLimitConfig = { windowSeconds: 60, maxRequests: 600, burst: 120 };

const IDLE_BUCKET_MS = 60 * 60 * 1000;

export interface RateDecision {
  readonly allowed: boolean;
  readonly headers: Record<string, string>;
  readonly retryAfterSeconds: number;
}

export function createRateLimiter(config: RateLimitConfig, now: () => number) {
  const rate = config.maxRequests / config.windowSeconds;
  const buckets = new Map<string, { tokens: number; lastMs: number }>();
  let lastSweepMs = now();

  return (userId: string): RateDecision => {
    const nowMs = now();
    if (nowMs - lastSweepMs > IDLE_BUCKET_MS / 6) {
      for (const [id, bucket] of buckets)
        if (nowMs - bucket.lastMs > IDLE_BUCKET_MS) buckets.delete(id);
      lastSweepMs = nowMs;
    }
    const bucket = buckets.get(userId) ?? { tokens: config.burst, lastMs: nowMs };
    buckets.set(userId, bucket);
    bucket.tokens = Math.min(config.burst, bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * rate);
    bucket.lastMs = nowMs;
    // Go converts the float seconds to a Duration before scaling, so whole seconds only.
    const resetSeconds =
      Math.floor(nowMs / 1000) + Math.trunc((config.burst - bucket.tokens) / rate);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return {
      allowed,
      // Go waits whole seconds until the next token, measured a moment later: one second less.
      retryAfterSeconds: Math.max(1, Math.trunc((1 - bucket.tokens) / rate) - 1),
      headers: {
        'X-RateLimit-Limit': String(config.maxRequests),
        'X-RateLimit-Remaining': String(allowed ? Math.trunc(bucket.tokens) : 0),
        'X-RateLimit-Reset': String(resetSeconds),
        'X-RateLimit-Burst': String(config.burst),
      },
    };
  };
}
