/**
 * TOOLBRIDGE_RATE_LIMITS across replicas: two in-process gateways on one real Redis count one
 * bucket per caller, wherever its calls land, while other callers keep theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { startStack, stackToken } from '../helpers/stack.ts';
import { callTool, connect, rateRules, textOf } from './stack.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.close();
});

// One token a minute: the seconds this test takes add none.
const RULES = rateRules('subject=1/min burst 6');
const replica = (replicaId: string) =>
  startStack({ redisUrl: redis.url, replicaId, rateLimits: RULES });

describe('rate limits with Redis', () => {
  it("hold across two replicas: one subject's burst is shared, another subject is unaffected", async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const aliceToken = await stackToken({ sub: 'alice' });
    const aliceOnA = await connect(a.gateway.url, aliceToken, '2026');
    const aliceOnB = await connect(b.gateway.url, aliceToken, '2025');

    const outcomes: string[] = [];
    const call = async (client: typeof aliceOnA, replicaName: string) => {
      const result = await callTool(client, 'health_check');
      outcomes.push(`${replicaName}:${result.isError === true ? 'refused' : 'ok'}`);
      return result;
    };
    for (let i = 0; i < 4; i += 1) await call(aliceOnA, 'a');
    for (let i = 0; i < 3; i += 1) await call(aliceOnB, 'b');
    const refusedOnA = await call(aliceOnA, 'a');
    // Each replica alone would have allowed six; together they allowed six in all.
    expect(outcomes).toEqual([
      'a:ok',
      'a:ok',
      'a:ok',
      'a:ok',
      'b:ok',
      'b:ok',
      'b:refused',
      'a:refused',
    ]);
    expect(textOf(refusedOnA)).toMatch(
      /^Error calling tool 'health_check': rate limit subject \(1\/min burst 6, TOOLBRIDGE_RATE_LIMITS\) reached; retry in (5\d(\.\d)?|60) s$/,
    );

    const bobToken = await stackToken({ sub: 'bob' });
    for (const gateway of [a.gateway, b.gateway]) {
      const bob = await connect(gateway.url, bobToken, '2026');
      for (let i = 0; i < 3; i += 1)
        expect((await callTool(bob, 'health_check')).isError).toBe(false);
    }
    const metrics = await (await fetch(`${b.gateway.url}/metrics`)).text();
    expect(metrics).toContain('toolbridge_rate_limited_total{dimension="subject"} 1');
    expect(metrics).toMatch(
      /toolbridge_redis_command_duration_seconds_count\{operation="rate_limit",outcome="ok"\} [1-9]/,
    );
  });
});
