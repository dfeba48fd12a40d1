import { setTimeout as sleep } from 'node:timers/promises';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/loopback.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { findOrBuildK6, startK6 } from '../helpers/k6.ts';
import {
  REPLICA_TENANT,
  running,
  startReplicaSet,
  type ReplicaSet,
} from '../helpers/replica-set.ts';
import { STACK_JWT_SECRET, stackToken } from '../helpers/stack.ts';
import { MCP_HEADERS, callTool, initializeBody, rawRequest, structuredOf } from './stack.ts';

/**
 * Issue 17's faults, on the real parts: three `node src/main.ts` replicas on one redis-server
 * behind HAProxy, all on loopback. The SIGKILL of a replica mid-session is replicas.test.ts.
 *
 * - Redis crashes and comes back (§2 of the issue): readiness and session calls
 *   fail fast and say why, nothing exits, everything recovers with no restart; with Redis's data
 *   kept the session goes on, without it the client is told (404) and starts again.
 * - A replica is stopped under k6 load as Fly's proxy stops a machine: taken out of rotation,
 *   then sent SIGTERM at once, with calls under way. No call may be lost. Without the cordon
 *   (the balancer still routing to the replica as it stops), HTTP/1.1 leaves a race the gateway
 *   can narrow but not close: a request still on the wire when the listener or an idle
 *   connection closes is reset (src/http/server.ts). A balancer that polls /readyz instead
 *   closes it with TOOLBRIDGE_SHUTDOWN_DELAY_SECONDS: the replica says 503 there and serves on
 *   until the balancer has stopped sending, then drains.
 */

const REDIS_PASSWORD = 'faults-redis-SENTINEL-pw';
/**
 * "Prompt" for an answer given while Redis is away: a hang would be the store's command timeout
 * (1 s) many times over.
 */
const PROMPT_MS = 5_000;
/** How long the replicas may take to see Redis again (their reconnect backs off up to 2 s). */
const RECOVERY_MS = 20_000;
/** An outage long enough for the replicas' reconnect attempts to back off to their 2 s cap. */
const LONG_OUTAGE_MS = 4_000;

async function startRedisWithReplicas(persist: boolean) {
  const redis = await startRedis({ password: REDIS_PASSWORD, persist });
  onCleanup(() => redis.close());
  const set = await startReplicaSet({ redis: { port: redis.port, password: REDIS_PASSWORD } });
  return { redis, ...set };
}

/** An SDK client (2025 era) through the balancer, counting its initialize handshakes. */
async function connectThrough(balancer: string, token: string) {
  let handshakes = 0;
  const client = new Client(
    { name: 'replica-faults', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${balancer}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: (url, init) => {
      if (typeof init?.body === 'string' && init.body.includes('"initialize"')) handshakes += 1;
      return fetch(url, init);
    },
  });
  await client.connect(transport);
  onCleanup(() => client.close().catch(() => undefined));
  const session = transport.sessionId ?? '';
  const protocolVersion = transport.protocolVersion ?? '';
  expect(session).not.toBe('');
  return { client, transport, session, protocolVersion, handshakes: () => handshakes };
}

type Session = Awaited<ReturnType<typeof connectThrough>>;

const JsonRpcError = z.object({
  jsonrpc: z.literal('2.0'),
  error: z.object({ code: z.number().int(), message: z.string().min(1) }),
});

/** A tools/call in `session`, sent raw to `origin` (the balancer or one replica), timed. */
async function rawCall(origin: string, token: string, { session, protocolVersion }: Session) {
  const started = performance.now();
  const answer = await rawRequest(`${origin}/mcp`, {
    method: 'POST',
    headers: {
      ...MCP_HEADERS,
      Authorization: `Bearer ${token}`,
      'MCP-Protocol-Version': protocolVersion,
      'Mcp-Session-Id': session,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'list_notes', arguments: {} },
    }),
    signal: AbortSignal.timeout(4 * PROMPT_MS),
  });
  return { ...answer, ms: performance.now() - started };
}

const readyz = (origin: string) => rawRequest(`${origin}/readyz`, {});

/** What a replica must say while Redis is down, and what it must not; asked of all at once. */
async function expectOutageAnswers(set: ReplicaSet, redis: RedisServer, token: string, s: Session) {
  const secrets = ['SENTINEL', '127.0.0.1', String(redis.port)];
  await Promise.all(
    set.replicas.map(async ({ url }) => {
      await expect.poll(async () => (await readyz(url)).status, { timeout: PROMPT_MS }).toBe(503);
      const ready = await readyz(url);
      expect(ready.text).toContain('TOOLBRIDGE_REDIS_URL');
      for (const secret of secrets) expect(ready.text).not.toContain(secret);
    }),
  );
  // The session's calls, at each replica and through the balancer: a prompt JSON-RPC error.
  const origins = [...set.replicas.map(({ url }) => url), set.balancer.url, set.balancer.url];
  const calls = await Promise.all(origins.map((origin) => rawCall(origin, token, s)));
  for (const call of calls) {
    expect(call.status).toBe(503);
    expect(call.ms).toBeLessThan(PROMPT_MS);
    expect(JsonRpcError.parse(call.json).error.message).toMatch(/session store unavailable/i);
    for (const secret of secrets) expect(call.text).not.toContain(secret);
  }
  // A new session cannot be opened without its store either.
  const opened = await rawRequest(`${set.balancer.url}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, Authorization: `Bearer ${token}` },
    body: initializeBody(),
  });
  expect(opened.status).toBe(503);
  JsonRpcError.parse(opened.json);
  expect(set.replicas.every(running)).toBe(true);
}

/** Redis back on its port: every replica ready again, none restarted, no password logged. */
async function expectRecovery(set: ReplicaSet) {
  await Promise.all(
    set.replicas.map(({ url }) =>
      expect.poll(async () => (await readyz(url)).status, { timeout: RECOVERY_MS }).toBe(200),
    ),
  );
  expect(set.replicas.every(running)).toBe(true);
  for (const { lines } of set.replicas) expect(lines.join('\n')).not.toContain('SENTINEL');
}

describe('Redis stopped and started again under three replicas behind a balancer', () => {
  it('with its data kept: 503 and a prompt JSON-RPC error while away, then the same session goes on', async () => {
    const { redis, ...set } = await startRedisWithReplicas(true);
    const token = await stackToken({ sub: 'outage-kept' });
    const s = await connectThrough(set.balancer.url, token);
    expect(structuredOf(await callTool(s.client, 'list_notes', {}))).toHaveProperty('items');

    await redis.stop();
    await expectOutageAnswers(set, redis, token, s);
    await redis.start();
    await expectRecovery(set);

    // Acknowledged before the crash, so kept: the session answers on every replica in turn.
    for (let i = 0; i < set.replicas.length + 1; i += 1) {
      expect(structuredOf(await callTool(s.client, 'list_notes', {}))).toHaveProperty('items');
    }
    expect(s.transport.sessionId).toBe(s.session);
    expect(s.handshakes()).toBe(1);
  });

  it('with its data lost: the same while away, then the old session is a clean 404 and a new one works', async () => {
    const { redis, ...set } = await startRedisWithReplicas(false);
    const token = await stackToken({ sub: 'outage-lost' });
    const s = await connectThrough(set.balancer.url, token);
    expect(structuredOf(await callTool(s.client, 'list_notes', {}))).toHaveProperty('items');

    await redis.stop();
    await expectOutageAnswers(set, redis, token, s);
    // Still prompt once the replicas have been failing to reconnect for a while.
    await sleep(LONG_OUTAGE_MS);
    await expectOutageAnswers(set, redis, token, s);
    await redis.start();
    await expectRecovery(set);

    // The record went with Redis: every replica says so the same way, 404 with a JSON-RPC error,
    // the answer after which an MCP client opens a new session.
    for (const origin of [...set.replicas.map(({ url }) => url), set.balancer.url]) {
      const call = await rawCall(origin, token, s);
      expect(call.status).toBe(404);
      JsonRpcError.parse(call.json);
    }
    const fresh = await connectThrough(set.balancer.url, token);
    expect(fresh.session).not.toBe(s.session);
    for (let i = 0; i < set.replicas.length + 1; i += 1) {
      expect(structuredOf(await callTool(fresh.client, 'list_notes', {}))).toHaveProperty('items');
    }
    expect(set.replicas.every(running)).toBe(true);
  });

  it('frozen (connections open, no answers): requests still end promptly, and it all resumes', async () => {
    const { redis, ...set } = await startRedisWithReplicas(false);
    const token = await stackToken({ sub: 'outage-frozen' });
    const s = await connectThrough(set.balancer.url, token);
    expect(structuredOf(await callTool(s.client, 'list_notes', {}))).toHaveProperty('items');

    // No FIN, no RST: only the replicas' own command timeout ends what they asked Redis.
    redis.pause();
    try {
      await expectOutageAnswers(set, redis, token, s);
    } finally {
      redis.resume();
    }
    await expectRecovery(set);
    for (let i = 0; i < set.replicas.length + 1; i += 1) {
      expect(structuredOf(await callTool(s.client, 'list_notes', {}))).toHaveProperty('items');
    }
    expect(s.handshakes()).toBe(1);
  });
});

/** Requests the replica has under way at the API right now, from its /metrics. */
async function upstreamRunning(origin: string): Promise<number> {
  const { text } = await rawRequest(`${origin}/metrics`, {});
  const value = /^toolbridge_upstream_pool_connections\{state="running"\} (\d+)$/m.exec(text)?.[1];
  return Number(value ?? 0);
}

const LogLine = z.object({ msg: z.string(), time: z.iso.datetime() });

/** When (Date.now()) a process logged `msg` first. */
function loggedAt(lines: readonly string[], msg: string): number | undefined {
  for (const line of lines.join('\n').split('\n')) {
    if (!line.includes(msg)) continue;
    const parsed = LogLine.safeParse(JSON.parse(line));
    if (parsed.success && parsed.data.msg === msg) return Date.parse(parsed.data.time);
  }
  return undefined;
}

/** The calls a replica finished after it logged that it was stopping (delay or drain). */
function callsFinishedDraining(lines: readonly string[]): number {
  const log = lines.join('\n').split('\n');
  const stop = log.findIndex((line) => /"msg":"(stopping: |shutting down: draining)/.test(line));
  if (stop === -1) return 0;
  return log.slice(stop).filter((line) => line.includes('"msg":"tool call"')).length;
}

/**
 * How the balancer learns that a replica stops: told first, as Fly's proxy is before it stops a
 * machine (`cordon`), or by polling /readyz, which the replica turns to 503 for
 * TOOLBRIDGE_SHUTDOWN_DELAY_SECONDS while it goes on serving (`readiness`).
 */
type Notice = 'cordon' | 'readiness';

/** k6 at 60 calls/s through three replicas; one is stopped mid-run. Nothing may be lost. */
async function stopOneUnderLoad(notice: Notice) {
  const redis = await startRedis({ password: REDIS_PASSWORD });
  onCleanup(() => redis.close());
  // An API that takes its time, so calls overlap and the replica has some under way when told.
  const set = await startReplicaSet({
    redis: { port: redis.port, password: REDIS_PASSWORD },
    apiDelayMs: 300,
    ...(notice === 'readiness'
      ? { env: { TOOLBRIDGE_SHUTDOWN_DELAY_SECONDS: '2' }, readinessCheckMs: 250 }
      : {}),
  });
  const k6 = await startK6('steady.js', {
    MCP_URL: `${set.balancer.url}/mcp`,
    JWT_SECRET: STACK_JWT_SECRET,
    TENANT_ID: REPLICA_TENANT,
    RUN_ID: `sigterm-${notice}`,
    STEADY_RATE: '60',
    STEADY_DURATION: '20s',
  });
  const [, victim, ...others] = set.replicas;
  if (victim === undefined) throw new Error('no second replica');
  // Mid-run, with more of it left than the delay and the 7 s drain timeout, and calls under way.
  await sleep(6_000);
  await expect.poll(() => upstreamRunning(victim.url), { timeout: 10_000 }).toBeGreaterThan(1);
  const exited = new Promise<number | null>((resolve) => victim.child.once('exit', resolve));
  if (notice === 'cordon') await set.balancer.cordon(1);
  victim.child.kill('SIGTERM');
  const code = await exited;
  const { code: k6Code, output, summary } = await k6.finished;

  expect(k6Code, output).toBe(0);
  const { metrics, root_group } = summary;
  const calls = root_group.checks['tools/call succeeded'];
  const figures = {
    sent: metrics.mcp_tool_calls.count,
    completed: calls?.passes,
    failed: calls?.fails,
    failedChecks: metrics.checks.fails,
    failedHttpRequests: metrics.http_req_failed.passes,
    mcpErrors: metrics.mcp_errors.passes,
  };
  expect(figures, output).toEqual({
    sent: figures.sent,
    completed: figures.sent,
    failed: 0,
    failedChecks: 0,
    failedHttpRequests: 0,
    mcpErrors: 0,
  });
  // Twenty seconds at 60/s, less what a busy machine kept k6 from starting (no VU free).
  expect(figures.sent).toBeGreaterThan(600);

  // The replica finished what it had under way, then stopped cleanly within its drain timeout.
  expect(code).toBe(0);
  expect(callsFinishedDraining(victim.lines)).toBeGreaterThan(0);
  const log = victim.lines.join('\n');
  expect(log).toContain('"msg":"stopped"');
  expect(log).not.toContain('shutdown timeout reached');
  expect(others.every(running)).toBe(true);
  return set;
}

describe('one replica stopped with SIGTERM during k6 load through the balancer', () => {
  // Building k6 (when it is neither on PATH nor in Go's bin) takes minutes, once.
  beforeAll(() => findOrBuildK6(() => undefined), 600_000);

  it('loses no call: every call k6 sent completed, those under way on the stopped replica too', async () => {
    await stopOneUnderLoad('cordon');
  }, 90_000);

  it('loses no call without a cordon when the balancer polls /readyz and the replica delays its stop', async () => {
    const set = await stopOneUnderLoad('readiness');
    // The balancer marked the replica down before it stopped taking connections.
    const drainedAt = loggedAt(
      set.replicas[1]?.lines ?? [],
      'shutting down: draining in-flight calls',
    );
    const downAt = set.balancer.downAt.get('r1');
    expect(drainedAt).toBeDefined();
    expect(downAt).toBeLessThan(drainedAt ?? 0);
  }, 90_000);
});
