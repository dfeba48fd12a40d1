import { describe, expect, it } from 'vitest';
import { createMemoryBuckets, type Bucket } from '../../src/limits/buckets.ts';

/** A memory bucket store on a clock the test moves by hand. */
function clocked(maxBuckets?: number) {
  let ms = 1_000_000;
  const buckets = createMemoryBuckets({
    now: () => ms,
    ...(maxBuckets === undefined ? {} : { maxBuckets }),
  });
  return {
    buckets,
    advance: (by: number) => {
      ms += by;
    },
  };
}

const bucket = (id: string, perSecond: number, burst: number): Bucket => ({ id, perSecond, burst });

/** How many takes in a row succeed, up to `max`. */
function drain(take: () => boolean, max = 1000): number {
  let n = 0;
  while (n < max && take()) n += 1;
  return n;
}

describe('memory token buckets', () => {
  it('allow a burst, then refill at the rate; the refusal says how long to wait', () => {
    const { buckets, advance } = clocked();
    const one = [bucket('a', 5, 10)];
    expect(drain(() => buckets.takeNow(one).ok)).toBe(10);
    expect(buckets.takeNow(one)).toEqual({ ok: false, index: 0, retryAfterMs: 200 });
    advance(199);
    expect(buckets.takeNow(one).ok).toBe(false);
    advance(1);
    expect(buckets.takeNow(one).ok).toBe(true);
    // A long quiet spell refills to the burst, never beyond it.
    advance(3_600_000);
    expect(drain(() => buckets.takeNow(one).ok)).toBe(10);
  });

  it('take from every bucket or from none: a refused call costs the others nothing', () => {
    const { buckets } = clocked();
    const subject = bucket('subject', 1, 5);
    const write = bucket('write', 1, 2);
    expect(drain(() => buckets.takeNow([subject, write]).ok)).toBe(2);
    // The write bucket is empty; the three refusals took nothing from the subject bucket.
    for (let i = 0; i < 3; i += 1) {
      expect(buckets.takeNow([subject, write])).toMatchObject({ ok: false, index: 1 });
    }
    expect(drain(() => buckets.takeNow([subject]).ok)).toBe(3);
  });

  it('name the bucket that keeps the caller waiting longest', () => {
    const { buckets } = clocked();
    const fast = bucket('fast', 10, 1);
    const slow = bucket('slow', 0.5, 1);
    expect(buckets.takeNow([fast, slow]).ok).toBe(true);
    expect(buckets.takeNow([fast, slow])).toEqual({ ok: false, index: 1, retryAfterMs: 2000 });
  });

  it('keep callers apart: one emptied bucket leaves another id full', () => {
    const { buckets } = clocked();
    expect(drain(() => buckets.takeNow([bucket('alice', 1, 3)]).ok)).toBe(3);
    expect(drain(() => buckets.takeNow([bucket('bob', 1, 3)]).ok)).toBe(3);
  });

  it('count fractional rates without drift: 0.5/s gives one token per 2 s', () => {
    const { buckets, advance } = clocked();
    const half = [bucket('half', 0.5, 1)];
    let granted = 0;
    for (let step = 0; step < 600; step += 1) {
      if (buckets.takeNow(half).ok) granted += 1;
      advance(100);
    }
    // 60 s: the first token at once, then one every 2 s.
    expect(granted).toBe(30);
  });

  it('forget the least recently used buckets beyond their bound; a forgotten one is full', () => {
    const { buckets } = clocked(2);
    expect(drain(() => buckets.takeNow([bucket('a', 1, 2)]).ok)).toBe(2);
    buckets.takeNow([bucket('b', 1, 2)]);
    buckets.takeNow([bucket('c', 1, 2)]);
    expect(buckets.size).toBe(2);
    expect(drain(() => buckets.takeNow([bucket('a', 1, 2)]).ok)).toBe(2);
  });

  it('answer the same through the promise interface', async () => {
    const { buckets } = clocked();
    expect(await buckets.take([bucket('p', 1, 1)])).toEqual({ ok: true });
    expect(await buckets.take([bucket('p', 1, 1)])).toMatchObject({ ok: false, index: 0 });
  });
});
