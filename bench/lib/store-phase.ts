/**
 * The session-store comparison of bench/gateway.ts (issue 17): the same gateway twice, up at
 * once in front of the same API, alike but for TOOLBRIDGE_REDIS_URL, which points one of them at
 * a redis-server started here on a free loopback port (test/helpers/redis.ts, nothing persisted).
 * Both serve 2025-era tools/call get_note on sessions kept open, one per worker: each such call
 * touches its session in the store, and in Redis mode that touch is a round trip to Redis.
 *
 * Peak throughput in closed-loop rounds that alternate between the two, then latency at one rate
 * for both (a fraction of the lower peak) in alternating open-loop rounds. The gateway's CPU and
 * redis-server's are read apart, from /proc, around every round.
 */
import { spawnSync } from 'node:child_process';
import { startRedis } from '../../test/helpers/redis.ts';
import { startGatewayProcess, type GatewayOptions } from './children.ts';
import type { PeakRound } from './compare.ts';
import type { Send } from './load.ts';
import {
  callInSession,
  createNote,
  endpoint,
  openSession,
  type Endpoint,
  type McpSession,
} from './mcp.ts';
import { outcomeOf, runModeRounds, type RoundsContext } from './mode-rounds.ts';
import type { Child } from './processes.ts';
import type { LatencyPhase } from './results.ts';
import { STORE_MODES, type StoreMode } from './store-compare.ts';

/** The latency rounds run at this fraction of the lower peak, as the paths' rounds at half. */
export const LATENCY_FRACTION = 0.5;

export interface StoreContext extends RoundsContext {
  /** The gateway as the other phases start it; Redis mode adds TOOLBRIDGE_REDIS_URL. */
  readonly gateway: GatewayOptions;
  readonly authorization: string;
  readonly backendPid: number;
}

export interface StoreResults {
  readonly redisVersion: string;
  readonly connections: number;
  readonly duration: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly peaks: Readonly<Record<StoreMode, PeakRound>>;
  /** Each peak round's calls/s, in the order run. */
  readonly peakRounds: Readonly<Record<StoreMode, readonly number[]>>;
  readonly fraction: number;
  readonly rate: number;
  readonly latency: Readonly<Record<StoreMode, LatencyPhase<StoreMode>>>;
  /** The gateways' warn/error log lines. */
  readonly problems: readonly string[];
}

interface Served {
  readonly child: Child;
  readonly to: Endpoint;
  readonly send: Send;
}

function redisVersion(): string {
  const printed = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout;
  return /v=(\S+)/.exec(printed)?.[1] ?? 'unknown';
}

/** C sessions opened on one gateway, and a sender that reads `uid` in them in turn. */
async function serve(
  child: Child,
  url: string,
  context: StoreContext,
  uid: string,
): Promise<Served> {
  const { authorization, connections } = context;
  const to = endpoint(url, connections);
  const sessions: McpSession[] = [];
  for (let i = 0; i < connections; i += 1) sessions.push(await openSession(to, authorization));
  const send: Send = async (slot) => {
    const session = sessions[slot % connections];
    if (session === undefined) return false;
    return (await callInSession(to, authorization, session, 'get_note', { uid })) !== undefined;
  };
  if (!(await send(0))) throw new Error(`a first get_note through ${url} failed`);
  return { child, to, send };
}

/** The note every call reads, created through `url` (both gateways act for the same user). */
async function noteFor(url: string, authorization: string): Promise<string> {
  const to = endpoint(url, 1);
  try {
    const session = await openSession(to, authorization);
    return await createNote(
      to,
      authorization,
      session,
      'the note every store-comparison call reads',
    );
  } finally {
    await to.pool.close();
  }
}

export async function compareStores(context: StoreContext): Promise<StoreResults> {
  const { progress } = context;
  progress('store comparison: starting redis-server and two gateways (memory, Redis)');
  const redis = await startRedis();
  const children: Child[] = [];
  const pools: Endpoint[] = [];
  try {
    const storePid = redis.pid;
    if (storePid === undefined) throw new Error('redis-server has no pid');
    const memory = await startGatewayProcess(context.gateway);
    children.push(memory.child);
    const inRedis = await startGatewayProcess({ ...context.gateway, redisUrl: redis.url });
    children.push(inRedis.child);
    const uid = await noteFor(memory.url, context.authorization);
    const served: Record<StoreMode, Served> = {
      memory: await serve(memory.child, memory.url, context, uid),
      redis: await serve(inRedis.child, inRedis.url, context, uid),
    };
    pools.push(served.memory.to, served.redis.to);
    const runs = await runModeRounds({
      ...context,
      label: 'store comparison',
      modes: STORE_MODES,
      server: (mode) => served[mode],
      pids: (mode) => ({
        hop: served[mode].child.pid,
        store: storePid,
        backend: context.backendPid,
      }),
      fraction: LATENCY_FRACTION,
    });
    const inMemory = outcomeOf(runs, 'memory');
    const inRedisStore = outcomeOf(runs, 'redis');
    return {
      redisVersion: redisVersion(),
      connections: context.connections,
      duration: context.duration,
      rounds: context.rounds,
      warmup: context.warmup,
      peaks: { memory: inMemory.peak, redis: inRedisStore.peak },
      peakRounds: { memory: inMemory.peakRounds, redis: inRedisStore.peakRounds },
      fraction: LATENCY_FRACTION,
      rate: runs.rate,
      latency: { memory: inMemory.latency, redis: inRedisStore.latency },
      problems: children.flatMap((child) =>
        child.lines.filter((line) => /"level":"(warn|error|fatal)"/.test(line)),
      ),
    };
  } finally {
    for (const pool of pools) await pool.pool.close();
    for (const child of children.reverse()) await child.stop();
    await redis.close();
  }
}
