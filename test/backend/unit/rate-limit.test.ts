import { describe, expect, it } from 'vitest';
import { GO_RATE_LIMIT, createRateLimiter } from '../../../src/backend/rate-limit.ts';

describe('token bucket (Go defaults: burst 120, 10 tokens/s)', () => {
  const start = 1_763_596_800_000;

  it('allows the burst, then refuses with Retry-After 1 and no token taken', () => {
    let clock = start;
    const allow = createRateLimiter(GO_RATE_LIMIT, () => clock);
    const decisions = Array.from({ length: 121 }, () => allow('user'));
    expect(decisions.slice(0, 120).every((d) => d.allowed)).toBe(true);
    expect(decisions[0]!.headers).toEqual({
      'X-RateLimit-Limit': '600',
      'X-RateLimit-Remaining': '119',
      'X-RateLimit-Reset': String(start / 1000),
      'X-RateLimit-Burst': '120',
    });
    const refused = decisions[120]!;
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBe(1);
    expect(refused.headers['X-RateLimit-Remaining']).toBe('0');
    // Full again after 12 s of refill at 10 tokens/s.
    expect(refused.headers['X-RateLimit-Reset']).toBe(String(start / 1000 + 12));

    clock += 100; // one token back
    expect(allow('user').allowed).toBe(true);
    expect(allow('user').allowed).toBe(false);
  });

  it('keeps one bucket per user', () => {
    const allow = createRateLimiter({ windowSeconds: 60, maxRequests: 60, burst: 1 }, () => start);
    expect(allow('a').allowed).toBe(true);
    expect(allow('a').allowed).toBe(false);
    expect(allow('b').allowed).toBe(true);
  });
});
