import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { UpstreamExchange } from './proxy/options.ts';
import type { PoolStats } from './proxy/types.ts';

/**
 * Prometheus metrics at /metrics: tool calls by tool and outcome, gateway and upstream latency,
 * upstream pool state, open MCP sessions, and auth failures by code. One registry per gateway
 * (no global state), so tests and several gateways in one process never share counters. Labels
 * never carry tenants, subjects or tokens.
 */

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15,
];

const POOL_STATES = ['connected', 'free', 'running', 'pending', 'queued'] as const;

export interface MetricSources {
  sessions: () => { streamable: number; sse: number };
  pool: () => PoolStats | undefined;
  /** Sessions in the session store (shared by replicas when it is Redis); read per scrape. */
  storeSessions?: () => Promise<{ store: 'memory' | 'redis'; streamable: number; sse: number }>;
}

/** Redis round trips are sub-millisecond on a good day; the store's timeout ends the scale. */
const REDIS_BUCKETS = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export function createMetrics(sources: MetricSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const toolCalls = new Counter({
    name: 'toolbridge_tool_calls_total',
    help: 'MCP tool calls by tool and outcome: ok, or the failure code (upstream_4xx, upstream_timeout, invalid_arguments, ...).',
    labelNames: ['tool', 'outcome'],
    registers,
  });
  const toolSeconds = new Histogram({
    name: 'toolbridge_tool_call_duration_seconds',
    help: 'Time from a tool call reaching the gateway to its result, upstream included.',
    labelNames: ['tool'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const upstreamSeconds = new Histogram({
    name: 'toolbridge_upstream_request_duration_seconds',
    help: 'Requests to the ToolBridge API by method and status (status "error": no answer).',
    labelNames: ['method', 'status'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const authFailures = new Counter({
    name: 'toolbridge_auth_failures_total',
    help: 'Refused client credentials by reason.',
    labelNames: ['code'],
    registers,
  });
  const identityFailures = new Counter({
    name: 'toolbridge_identity_failures_total',
    help: 'Refused end-user identities on service-key calls by reason (missing, invalid, expired, ttl_too_long, signature, tenant_forbidden, ...); signature climbing means TOOLBRIDGE_IDENTITY_SECRET drifted from the platform.',
    labelNames: ['reason'],
    registers,
  });
  new Gauge({
    name: 'toolbridge_mcp_sessions',
    help: 'Open stateful MCP sessions by transport.',
    labelNames: ['transport'],
    registers,
    collect() {
      const { streamable, sse } = sources.sessions();
      this.set({ transport: 'streamable_http' }, streamable);
      this.set({ transport: 'sse' }, sse);
    },
  });
  const redisSeconds = new Histogram({
    name: 'toolbridge_redis_command_duration_seconds',
    help: 'Session store round trips to Redis by operation (create, touch, ...) and outcome (ok, error).',
    labelNames: ['operation', 'outcome'],
    buckets: REDIS_BUCKETS,
    registers,
  });
  const sseRelayed = new Counter({
    name: 'toolbridge_sse_relayed_total',
    help: 'Legacy SSE messages POSTed to one replica for a stream held by another, by outcome: sent (the holder took it), no_holder (answered 404), dropped (the stream closed meanwhile).',
    labelNames: ['outcome'],
    registers,
  });
  const flyReplays = new Counter({
    name: 'toolbridge_fly_replays_total',
    help: 'Requests for a session another Fly machine holds (no Redis) by transport and outcome: replayed (handed to Fly with fly-replay), holder_unavailable (a replay that did not reach the holder; answered 404).',
    labelNames: ['transport', 'outcome'],
    registers,
  });
  const rateLimited = new Counter({
    name: 'toolbridge_rate_limited_total',
    help: 'Tool calls and HTTP requests refused by TOOLBRIDGE_RATE_LIMITS, by the rule whose bucket was empty (subject, subject.write, tenant.request, ...).',
    labelNames: ['dimension'],
    registers,
  });
  const storeSessions = sources.storeSessions;
  if (storeSessions !== undefined) {
    new Gauge({
      name: 'toolbridge_session_store_sessions',
      help: 'Live sessions in the session store by store and transport (all replicas, with Redis).',
      labelNames: ['store', 'transport'],
      registers,
      async collect() {
        // A scrape while Redis is away reports no value rather than failing /metrics.
        const counts = await storeSessions().catch(() => undefined);
        if (counts === undefined) return;
        this.set({ store: counts.store, transport: 'streamable_http' }, counts.streamable);
        this.set({ store: counts.store, transport: 'sse' }, counts.sse);
      },
    });
  }
  new Gauge({
    name: 'toolbridge_upstream_pool_connections',
    help: 'Upstream connection pool: connected, free, running, pending and queued requests.',
    labelNames: ['state'],
    registers,
    collect() {
      const stats = sources.pool();
      if (stats === undefined) return;
      for (const state of POOL_STATES) this.set({ state }, stats[state]);
    },
  });

  return {
    registry,
    toolCall(tool: string, outcome: string, seconds: number): void {
      toolCalls.inc({ tool, outcome });
      toolSeconds.observe({ tool }, seconds);
    },
    upstreamExchange({ method, status, seconds }: UpstreamExchange): void {
      upstreamSeconds.observe(
        { method, status: status === undefined ? 'error' : String(status) },
        seconds,
      );
    },
    authFailure(code: string): void {
      authFailures.inc({ code });
    },
    identityFailure(reason: string): void {
      identityFailures.inc({ reason });
    },
    flyReplay(
      transport: 'streamable_http' | 'sse',
      outcome: 'replayed' | 'holder_unavailable',
    ): void {
      flyReplays.inc({ transport, outcome });
    },
    /** Shaped as the Redis connection's `observe` option. */
    redisCommand(operation: string, seconds: number, ok: boolean): void {
      redisSeconds.observe({ operation, outcome: ok ? 'ok' : 'error' }, seconds);
    },
    sseRelayed(outcome: string): void {
      sseRelayed.inc({ outcome });
    },
    /** `dimension` is the rule's name: never a tenant, subject or key id. */
    rateLimited(dimension: string): void {
      rateLimited.inc({ dimension });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
