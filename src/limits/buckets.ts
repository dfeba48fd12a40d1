import { createLru } from '../lru.ts';

/**
 * Token buckets, the storage behind the rate limiter: in this process (here), or shared by
 * replicas through Redis (redis-buckets.ts). A bucket holds up to `burst` tokens and gains
 * `perSecond` of them back over time; a call takes one token from each of its buckets, or none
 * when any of them lacks one, so a refused call never uses up another bucket's tokens.
 */
export interface Bucket {
  /** Names the rule and the caller (limiter.ts); only ever compared, never shown. */
  readonly id: string;
  readonly perSecond: number;
  readonly burst: number;
}

export type Taken =
  | { readonly ok: true }
  /** Nothing was taken: `index` is the bucket that keeps the caller waiting longest, `retryAfterMs`. */
  | { readonly ok: false; readonly index: number; readonly retryAfterMs: number };

export interface TokenBuckets {
  readonly kind: 'memory' | 'redis';
  /** One token from every bucket, all or none. */
  take(buckets: readonly Bucket[]): Promise<Taken>;
}

export const TAKEN: Taken = { ok: true };

/** Float sums of refills may land a hair under a whole token that is due. */
export const EPSILON = 1e-9;

export interface MemoryBucketsOptions {
  /** Milliseconds on any monotonic scale (default performance.now). */
  now?: () => number;
  /**
   * Buckets kept at most; the least recently used go first. A forgotten bucket comes back full,
   * which errs toward the caller; only callers idle for longest are forgotten.
   */
  maxBuckets?: number;
}

export interface MemoryBuckets extends TokenBuckets {
  readonly kind: 'memory';
  /** The same as `take`, without a promise (the Redis fallback's and tests' way in). */
  takeNow(buckets: readonly Bucket[]): Taken;
  /** Buckets remembered (a full one is as good as none, but is kept until pushed out). */
  readonly size: number;
}

interface Level {
  tokens: number;
  at: number;
}

export function createMemoryBuckets(options: MemoryBucketsOptions = {}): MemoryBuckets {
  const now = options.now ?? (() => performance.now());
  const levels = createLru<Level>(options.maxBuckets ?? 100_000);

  const levelOf = (bucket: Bucket, at: number): number => {
    const last = levels.get(bucket.id);
    if (last === undefined) return bucket.burst;
    const refill = (Math.max(0, at - last.at) / 1000) * bucket.perSecond;
    return Math.min(bucket.burst, last.tokens + refill);
  };

  function takeNow(buckets: readonly Bucket[]): Taken {
    const at = now();
    let worst = -1;
    let wait = 0;
    for (const [index, bucket] of buckets.entries()) {
      const level = levelOf(bucket, at);
      if (level + EPSILON >= 1) continue;
      const ms = ((1 - level) / bucket.perSecond) * 1000;
      if (ms > wait) {
        worst = index;
        wait = ms;
      }
    }
    if (worst >= 0) return { ok: false, index: worst, retryAfterMs: wait };
    for (const bucket of buckets) {
      levels.set(bucket.id, { tokens: levelOf(bucket, at) - 1, at });
    }
    return TAKEN;
  }

  return {
    kind: 'memory',
    takeNow,
    take: (buckets) => Promise.resolve(takeNow(buckets)),
    get size() {
      return levels.size;
    },
  };
}
