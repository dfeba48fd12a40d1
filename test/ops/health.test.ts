import { once } from 'node:events';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startStack as startFrontedStack } from '../e2e/stack.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { startRedis } from '../helpers/redis.ts';
import { stackToken, startStack } from '../helpers/stack.ts';

const Ready = z.object({
  status: z.string(),
  reasons: z.array(z.string()),
  warnings: z.array(z.string()),
});

describe('/healthz and /readyz', () => {
  it('answer without credentials; readiness checks the backend and says why it is not ready', async () => {
    const { gateway, backend } = await startStack({
      warnings: ['TOOLBRIDGE_AUTH=none: client tokens are not verified'],
    });
    const live = await fetch(`${gateway.url}/healthz`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });

    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(Ready.parse(await ready.json())).toEqual({
      status: 'ready',
      reasons: [],
      warnings: ['TOOLBRIDGE_AUTH=none: client tokens are not verified'],
    });

    await backend.close();
    // One probe's verdict stands for half a second.
    await sleep(600);
    const down = await fetch(`${gateway.url}/readyz`);
    expect(down.status).toBe(503);
    const body = Ready.parse(await down.json());
    expect(body.status).toBe('not_ready');
    // Anyone can ask: the answer names no host or port.
    expect(body.reasons).toEqual(['the ToolBridge API is unreachable']);
    // Liveness never depends on the backend.
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });
});

describe('a flood of /readyz', () => {
  it('costs the API one probe, not one per request', async () => {
    const stack = await startFrontedStack();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => fetch(`${stack.gateway.url}/readyz`)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 50 }, () => 200));
    await Promise.all(answers.map((answer) => answer.text()));
    const probes = () => stack.front.requests.filter((r) => r.path === '/healthz').length;
    expect(probes()).toBe(1);
    // Later, a fresh probe.
    await sleep(600);
    expect((await fetch(`${stack.gateway.url}/readyz`)).status).toBe(200);
    expect(probes()).toBe(2);
  });

  it('costs Redis a PING per half second, not one per request', async () => {
    const redis = await startRedis();
    onCleanup(() => redis.close());
    const { gateway } = await startStack({ redisUrl: redis.url });
    const before = await pings(redis.port);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => fetch(`${gateway.url}/readyz`)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 50 }, () => 200));
    // One per half second of answers (one, unless this machine is slow enough to spread 50
    // requests over more), where it was one per request.
    expect((await pings(redis.port)) - before).toBeLessThanOrEqual(3);
  });
});

/** How many PING commands redis-server has served, from INFO commandstats. */
async function pings(port: number): Promise<number> {
  const socket = createConnection({ port, host: '127.0.0.1' });
  socket.setEncoding('utf8');
  let answer = '';
  socket.on('data', (chunk: string) => (answer += chunk));
  socket.end('INFO commandstats\r\nQUIT\r\n');
  await once(socket, 'close');
  return Number(/cmdstat_ping:calls=(\d+)/.exec(answer)?.[1] ?? 0);
}

describe('/metrics', () => {
  it('counts tool calls, upstream requests, sessions and auth failures, with no tenant or subject labels', async () => {
    const { gateway } = await startStack();
    const token = await stackToken({ sub: 'metrics-user' });
    const client = new Client({ name: 'metrics', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    onCleanup(() => client.close());
    await client.callTool({ name: 'create_note', arguments: { title: 't', content: 'c' } });
    await client.callTool({
      name: 'get_note',
      arguments: { uid: '00000000-0000-4000-8000-000000000000' },
    });
    await fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
      body: '{}',
    });

    const response = await fetch(`${gateway.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('toolbridge_tool_calls_total{tool="create_note",outcome="ok"} 1');
    expect(text).toContain('toolbridge_tool_calls_total{tool="get_note",outcome="upstream_4xx"} 1');
    expect(text).toMatch(/toolbridge_tool_call_duration_seconds_count\{tool="create_note"\} 1/);
    expect(text).toMatch(
      /toolbridge_upstream_request_duration_seconds_count\{method="POST",status="201"\} 2/,
    );
    expect(text).toMatch(
      /toolbridge_upstream_request_duration_seconds_count\{method="GET",status="404"\} 1/,
    );
    expect(text).toContain('toolbridge_mcp_sessions{transport="streamable_http"} 1');
    expect(text).toContain('toolbridge_auth_failures_total{code="TOKEN_INVALID"} 1');
    expect(text).toMatch(/toolbridge_upstream_pool_connections\{state="connected"\} \d+/);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).not.toContain('metrics-user');
    expect(text).not.toContain('stack-tenant');
  });
});

describe('TOOLBRIDGE_METRICS_PORT', () => {
  it('moves /metrics to a listener of its own, off the MCP port', async () => {
    const { gateway } = await startStack({ metricsPort: 0 });
    const metricsUrl = gateway.metricsUrl ?? '';
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(metricsUrl).not.toBe(`${gateway.url}/metrics`);

    const scraped = await fetch(metricsUrl);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    expect(await scraped.text()).toContain('toolbridge_mcp_sessions');
    const other = await fetch(metricsUrl.replace('/metrics', '/mcp'));
    expect(other.status).toBe(404);
    await other.text();

    const onMain = await fetch(`${gateway.url}/metrics`);
    expect(onMain.status).toBe(404);
    expect(await onMain.text()).not.toContain('toolbridge_mcp_sessions');
    // Health stays on the main port.
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);

    await gateway.close();
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });

  it('without it, /metrics stays on the main port', async () => {
    const { gateway } = await startStack();
    expect(gateway.metricsUrl).toBeUndefined();
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(200);
  });
});
