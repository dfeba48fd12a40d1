import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../helpers/gateway-process.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { capturingLogger } from '../helpers/log-capture.ts';
import { startRedis } from '../helpers/redis.ts';
import { STACK_JWT_SECRET, stackToken, startStack } from '../helpers/stack.ts';
import { startBackend } from '../../src/backend/index.ts';
import { MCP_HEADERS, initializeBody, rawRequest } from './stack.ts';

/**
 * A replica starting and stopping beside its Redis: it listens once the store can serve, so its
 * first session requests are not 503s; with Redis down at start it still comes up after a short
 * wait, says so, and fails fast (/readyz 503) until Redis answers; with Redis down at the stop it
 * still stops at once.
 */
const TENANT_SECRET = 'startup-tenant-secret';

async function start(redisUrl: string) {
  const log = capturingLogger('info');
  const started = Date.now();
  const { gateway } = await startStack({ redisUrl }, log.logger);
  return { gateway, log, startedInMs: Date.now() - started };
}

const initialize = async (url: string) =>
  rawRequest(`${url}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, Authorization: `Bearer ${await stackToken({ sub: 'first' })}` },
    body: initializeBody(),
  });

describe('a replica starting with Redis', () => {
  it('listens once Redis answers, so its first session request is served', async () => {
    const redis = await startRedis();
    onCleanup(() => redis.close());
    await redis.stop();
    const late = sleep(600).then(() => redis.start());
    const { gateway, startedInMs } = await start(redis.url);
    await late;
    expect(startedInMs).toBeGreaterThanOrEqual(500);
    expect((await initialize(gateway.url)).status).toBe(200);
  });

  it('comes up without it after a short wait, says so, and fails fast until it answers', async () => {
    const redis = await startRedis();
    onCleanup(() => redis.close());
    await redis.stop();
    const { gateway, log, startedInMs } = await start(redis.url);
    expect(startedInMs).toBeGreaterThanOrEqual(2_500);
    expect(log.text()).toContain('listening without the session store');
    expect((await rawRequest(`${gateway.url}/readyz`, {})).status).toBe(503);
    expect((await initialize(gateway.url)).status).toBe(503);
    await redis.start();
    await expect
      .poll(async () => (await initialize(gateway.url)).status, { timeout: 10_000 })
      .toBe(200);
  }, 20_000);

  it('stops at once on SIGTERM while Redis is down, and exits 0', async () => {
    const redis = await startRedis();
    onCleanup(() => redis.close());
    const backend = await startBackend({
      port: 0,
      jwtSecret: STACK_JWT_SECRET,
      tenantHeaderSecret: TENANT_SECRET,
    });
    onCleanup(() => backend.close());
    const { child, url, lines } = await startGatewayProcess({
      TOOLBRIDGE_GO_API_BASE_URL: backend.url,
      TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
      TOOLBRIDGE_JWT_SECRET: STACK_JWT_SECRET,
      TOOLBRIDGE_TENANT_ID: 'startup',
      TOOLBRIDGE_HOST: '127.0.0.1',
      TOOLBRIDGE_PORT: '0',
      TOOLBRIDGE_REDIS_URL: redis.url,
    });
    expect((await initialize(url)).status).toBe(200);
    await redis.stop();
    const exited = once(child, 'exit');
    const stopping = Date.now();
    child.kill('SIGTERM');
    await exited;
    expect(child.exitCode).toBe(0);
    // The 7 s drain has nothing to wait for: no call runs.
    expect(Date.now() - stopping).toBeLessThan(3_000);
    expect(lines.join('\n')).toContain('"msg":"stopped"');
  });
});
