/** CONTRACT.md B.5: the per-user token bucket on the REST group. */
import { describe, expect, it } from 'vitest';
import { newUser, type Reply, type User } from './client.ts';
import { expectJsonError } from './shapes.ts';
import { useTarget } from './target.ts';

const target = useTarget();

/** Fires `count` list requests at once; the bucket (120, +10/s) cannot keep up with 200. */
const burst = (user: User, count: number): Promise<Reply[]> =>
  Promise.all(Array.from({ length: count }, () => user.call('GET', '/v1/notes')));

const RATE_HEADERS = [
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-burst',
] as const;

describe('rate-limit headers (B.5)', () => {
  it('a REST response carries Limit 600, Burst 120, Remaining 119 and a Reset time', async () => {
    const user = await newUser(target());
    const reply = await user.call('GET', '/v1/notes');
    expect(reply.status).toBe(200);
    expect(reply.headers['x-ratelimit-limit']).toBe('600');
    expect(reply.headers['x-ratelimit-burst']).toBe('120');
    // a fresh bucket starts full (120) and the request took one token
    expect(reply.headers['x-ratelimit-remaining']).toBe('119');
    const reset = reply.headers['x-ratelimit-reset']!;
    expect(reset).toMatch(/^\d+$/);
    // unix seconds (not ms); 300 s is the tolerance the tenant-header window already imposes
    expect(Math.abs(Number(reset) - Date.now() / 1000)).toBeLessThan(300);
  });

  it('every REST operation is limited (headers on errors too)', async () => {
    const user = await newUser(target());
    const reply = await user.call('GET', '/v1/notes/not-a-uuid');
    expect(reply.status).toBe(400);
    for (const name of RATE_HEADERS) expect(reply.headers[name]).toBeDefined();
  });

  const unlimited: readonly [string, string][] = [
    ['POST', '/v1/sync/sessions'],
    ['GET', '/v1/sync/state'],
    ['POST', '/v1/sync/wipe'],
  ];
  it.each(unlimited)('%s %s is not rate-limited (no headers)', async (method, path) => {
    const user = await newUser(target());
    const reply = await user.call(
      method,
      path,
      method === 'POST' ? { json: { confirm: 'WIPE' } } : {},
    );
    expect(reply.status).toBeLessThan(300);
    for (const name of RATE_HEADERS) expect(reply.headers[name]).toBeUndefined();
  });
});

describe('429 when the bucket is empty (B.5)', () => {
  it('answers 429 with Retry-After ≥ 1 and the JSON error after the burst', async () => {
    const user = await newUser(target());
    const replies = await burst(user, 200);
    const ok = replies.filter((r) => r.status === 200);
    const limited = replies.filter((r) => r.status === 429);
    expect(ok.length + limited.length).toBe(200);
    expect(ok.length).toBeGreaterThanOrEqual(120);
    expect(limited.length).toBeGreaterThan(0);
    for (const reply of limited) {
      expectJsonError(reply, 429, /^Rate limit exceeded\. Please retry after \d+ seconds\.$/);
      const retryAfter = reply.headers['retry-after']!;
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      const seconds = /after (\d+) seconds/.exec(reply.text)![1]!;
      expect(Number(seconds)).toBeGreaterThanOrEqual(1);
    }
  });

  it('the bucket is per user: another user is unaffected', async () => {
    const user = await newUser(target());
    const bystander = await newUser(target());
    const replies = await burst(user, 200);
    expect(replies.some((r) => r.status === 429)).toBe(true);
    const reply = await bystander.call('GET', '/v1/notes');
    expect(reply.status).toBe(200);
    expect(reply.headers['x-ratelimit-remaining']).toBe('119');
  });

  it('session creation is not limited, even for a user whose REST bucket is empty', async () => {
    const user = await newUser(target());
    await burst(user, 200);
    const sessions = await Promise.all(
      Array.from({ length: 150 }, () => user.bare('POST', '/v1/sync/sessions')),
    );
    expect(sessions.map((r) => r.status)).toEqual(sessions.map(() => 201));
  });

  it('the session check runs before the limiter: an exhausted user still gets 428', async () => {
    const user = await newUser(target());
    await burst(user, 200);
    const reply = await user.call('GET', '/v1/notes', { headers: { 'X-Sync-Session': null } });
    expect(reply.status).toBe(428);
  });
});

describe('what costs a token (B.5)', () => {
  it('a 428 costs no token: 150 of them leave the bucket full', async () => {
    const user = await newUser(target());
    const rejected = await Promise.all(
      Array.from({ length: 150 }, () =>
        user.call('GET', '/v1/notes', { headers: { 'X-Sync-Session': null } }),
      ),
    );
    expect(rejected.every((r) => r.status === 428)).toBe(true);
    const reply = await user.call('GET', '/v1/notes');
    expect(reply.status).toBe(200);
    expect(reply.headers['x-ratelimit-remaining']).toBe('119');
  });

  it('a 409 epoch mismatch passed the limiter first and spent a token', async () => {
    const user = await newUser(target());
    const reply = await user.call('GET', '/v1/notes', { headers: { 'X-Sync-Epoch': '0' } });
    expect(reply.status).toBe(409);
    expect(reply.headers['x-ratelimit-remaining']).toBe('119');
  });
});
