import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/verifier.ts';
import { createMemoryBuckets } from '../../src/limits/buckets.ts';
import {
  createRateLimiter,
  refusalMessage,
  retryAfterSeconds,
  type RateLimiter,
} from '../../src/limits/limiter.ts';
import { parseRateLimits } from '../../src/limits/rules.ts';

const caller = (subject: string, tenantId = 't1', serviceKeyId?: string): Principal => ({
  subject,
  tenantId,
  authorization: 'Bearer not-used',
  ...(serviceKeyId === undefined ? {} : { serviceKeyId }),
});

/** A limiter over memory buckets on a frozen clock, and the rules it refused by. */
function limiterFor(raw: string): { limiter: RateLimiter; limited: string[] } {
  const parsed = parseRateLimits(raw);
  if (!parsed.ok) throw new Error(parsed.problem);
  const limited: string[] = [];
  const limiter = createRateLimiter(parsed.value, createMemoryBuckets({ now: () => 0 }), (rule) =>
    limited.push(rule.name),
  );
  if (limiter === undefined) throw new Error('expected a limiter');
  return { limiter, limited };
}

/** How many calls in a row are allowed, up to `max`. */
async function allowed(turn: () => Promise<unknown>, max = 50): Promise<number> {
  let n = 0;
  while (n < max && (await turn()) === undefined) n += 1;
  return n;
}

describe('rate limiter: which buckets a call takes from', () => {
  it('is absent without rules, so callers skip limiting altogether', () => {
    expect(createRateLimiter([], createMemoryBuckets())).toBeUndefined();
  });

  it('gives each subject its own bucket, within its tenant', async () => {
    const { limiter } = limiterFor('subject=1/h burst 3');
    expect(await allowed(() => limiter.call(caller('alice'), false))).toBe(3);
    expect(await allowed(() => limiter.call(caller('bob'), false))).toBe(3);
    // The same subject name in another tenant is another caller.
    expect(await allowed(() => limiter.call(caller('alice', 't2'), false))).toBe(3);
  });

  it('shares a tenant bucket among all its subjects', async () => {
    const { limiter, limited } = limiterFor('tenant=1/h burst 4');
    expect(await allowed(() => limiter.call(caller('alice'), false), 2)).toBe(2);
    expect(await allowed(() => limiter.call(caller('bob'), true))).toBe(2);
    expect(await allowed(() => limiter.call(caller('carol', 't2'), true))).toBe(4);
    expect(limited).toEqual(['tenant', 'tenant']);
  });

  it('counts writes apart from reads, and both against the overall rule', async () => {
    const { limiter, limited } = limiterFor('subject=1/h burst 5, write=1/h burst 2');
    const alice = caller('alice');
    expect(await allowed(() => limiter.call(alice, true))).toBe(2);
    expect(limited).toEqual(['subject.write']);
    // The refused write took nothing: three of the five overall tokens are left for reads.
    expect(await allowed(() => limiter.call(alice, false))).toBe(3);
    expect(limited).toEqual(['subject.write', 'subject']);
  });

  it('applies read rules to read tools only', async () => {
    const { limiter } = limiterFor('read=1/h burst 1');
    expect(await allowed(() => limiter.call(caller('alice'), false))).toBe(1);
    expect(await allowed(() => limiter.call(caller('alice'), true))).toBe(50);
  });

  it('limits a service key across the users it acts for, and only calls made with a key', async () => {
    const { limiter, limited } = limiterFor('key=1/h burst 3, subject=1/h burst 2');
    const onBehalf = (user: string) => caller(user, 't1', 'key-1');
    expect(await allowed(() => limiter.call(onBehalf('alice'), false))).toBe(2);
    expect(limited).toEqual(['subject']);
    expect(await allowed(() => limiter.call(onBehalf('bob'), false))).toBe(1);
    expect(limited).toEqual(['subject', 'key']);
    // Another key, or no key at all, is not held back by key-1's bucket.
    expect(await allowed(() => limiter.call(caller('carol', 't1', 'key-2'), false))).toBe(2);
    expect(await allowed(() => limiter.call(caller('dave'), false))).toBe(2);
  });

  it('keeps request rules for the edge, apart from tool calls', async () => {
    const { limiter } = limiterFor('request=1/h burst 2, subject=1/h burst 1');
    const turn = limiter.request;
    if (turn === undefined) throw new Error('expected a request turn');
    expect(await allowed(() => turn(caller('alice')))).toBe(2);
    expect(await allowed(() => limiter.call(caller('alice'), false))).toBe(1);
    expect(limiterFor('subject=1/s').limiter.request).toBeUndefined();
  });
});

describe('rate limiter: what a refusal says', () => {
  it('names the rule, its rate and the wait, rounded up to a tenth of a second', async () => {
    const { limiter } = limiterFor('write=5/s burst 1');
    await limiter.call(caller('alice'), true);
    const refusal = await limiter.call(caller('alice'), true);
    if (refusal === undefined) throw new Error('expected a refusal');
    expect(refusalMessage(refusal)).toBe(
      'rate limit subject.write (5/s burst 1, TOOLBRIDGE_RATE_LIMITS) reached; retry in 0.2 s',
    );
    expect(retryAfterSeconds(refusal)).toBe(1);
  });

  it('gives Retry-After in whole seconds, never early', async () => {
    const { limiter } = limiterFor('tenant=2/min burst 1');
    await limiter.call(caller('alice'), false);
    const refusal = await limiter.call(caller('alice'), false);
    if (refusal === undefined) throw new Error('expected a refusal');
    expect(refusal.retryAfterMs).toBe(30_000);
    expect(retryAfterSeconds({ ...refusal, retryAfterMs: 30_001 })).toBe(31);
    expect(refusalMessage(refusal)).toContain('retry in 30 s');
  });
});
