/** CONTRACT.md B.1 (unauthenticated routes) and B.7 (`/v1/sync/info`). */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { send } from './client.ts';
import { RFC3339_NANO, UUID_V4 } from './shapes.ts';
import { useTarget } from './target.ts';

const target = useTarget();

describe('GET /healthz (B.1)', () => {
  it('answers 200 "ok" as text/plain without any credentials', async () => {
    const reply = await send(target(), { method: 'GET', path: '/healthz' });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('ok');
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('carries a generated UUIDv4 X-Correlation-ID (CorrelationMiddleware is global)', async () => {
    const reply = await send(target(), { method: 'GET', path: '/healthz' });
    expect(reply.headers['x-correlation-id']).toMatch(UUID_V4);
  });
});

const entityCaps = z.strictObject({
  maxLimit: z.literal(1000),
  push: z.literal(true),
  pull: z.literal(true),
});
const info = z.strictObject({
  apiVersion: z.literal('1.1'),
  serverTime: z.string().regex(RFC3339_NANO),
  entities: z.strictObject({
    chat_messages: entityCaps,
    chats: entityCaps,
    comments: entityCaps,
    notes: entityCaps,
    tasks: entityCaps,
  }),
  locking: z.strictObject({ supported: z.literal(true), mode: z.literal('session') }),
  minClientVersion: z.literal('0.1.0'),
  rateLimit: z.strictObject({
    windowSeconds: z.literal(60),
    maxRequests: z.literal(600),
    burst: z.literal(120),
  }),
  hints: z.strictObject({ recommendedBatch: z.literal(500), backoffMsOn429: z.literal(1500) }),
});

describe('GET /v1/sync/info (B.7)', () => {
  it('answers 200 JSON of exactly the documented shape, without credentials', async () => {
    const reply = await send(target(), { method: 'GET', path: '/v1/sync/info' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    // strict objects: per-entity recommendedBatch/enabled are omitted (omitempty)
    info.parse(reply.json);
  });

  it('lists the entity keys in sorted order in the raw JSON text', async () => {
    const reply = await send(target(), { method: 'GET', path: '/v1/sync/info' });
    const positions = ['chat_messages', 'chats', 'comments', 'notes', 'tasks'].map((key) =>
      reply.text.indexOf(`"${key}":`),
    );
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('reports a serverTime close to the current time', async () => {
    const reply = await send(target(), { method: 'GET', path: '/v1/sync/info' });
    const { serverTime } = info.parse(reply.json);
    // the 300 s bound is the tenant-header window: a larger clock skew breaks the API anyway
    expect(Math.abs(Date.parse(serverTime) - Date.now())).toBeLessThan(300_000);
  });
});
