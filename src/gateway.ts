import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { createApp } from './app.ts';
import { createIdentityResolver } from './auth/identity.ts';
import { resourceOf } from './auth/metadata.ts';
import { createScopePolicy } from './auth/scopes.ts';
import { createClientVerifier, remoteKeySet } from './auth/verifier.ts';
import { createDrain } from './drain.ts';
import { createRateLimiter } from './limits/limiter.ts';
import type { Logger } from './log.ts';
import { metricsListener } from './http/health.ts';
import { requestLogger } from './http/context.ts';
import { createHttpServer } from './http/server.ts';
import { authorizationServersOf, backendTokenOptions, onBehalfOf } from './gateway-auth.ts';
import { VERSION, type GatewayDeps, type GatewaySettings } from './gateway-settings.ts';
import { createMetrics } from './metrics.ts';
import { SERVER_NAME, createServerFactory } from './mcp/server.ts';
import { createFlyReplay } from './mcp/fly-replay.ts';
import { createPrincipalCarrier } from './mcp/principal.ts';
import { createToolCaller } from './mcp/tool-call.ts';
import { reviveSession } from './mcp/session-routes.ts';
import { createSessionRegistry, type SessionRegistry } from './mcp/sessions.ts';
import { createUpstream } from './proxy/index.ts';
import { createSessionBackplane } from './store/index.ts';
import { createToolRuntime } from './tools/index.ts';

export {
  VERSION,
  type BackendAuthSettings,
  type GatewayDeps,
  type GatewaySettings,
} from './gateway-settings.ts';

/** How long a shutdown waits, after cutting the calls still running, for their answers. */
const CUT_ANSWER_MS = 1_000;
/** How long a starting replica waits for its session store before it listens anyway. */
const STORE_START_WAIT_MS = 3_000;

/** The parts of a gateway, built once; `close()` releases sessions and the upstream pool. */
export function createGateway(settings: GatewaySettings, logger: Logger, deps: GatewayDeps = {}) {
  const { now, dispatcher, jwks, fallbackPrincipal } = deps;
  const drain = createDrain();
  const replicaId = settings.replicaId ?? randomBytes(6).toString('hex');
  const backplane =
    deps.backplane ??
    createSessionBackplane(
      {
        redisUrl: settings.redisUrl,
        redisPassword: settings.redisPassword,
        sessionIdleSeconds: settings.sessionIdleSeconds,
        maxSessions: settings.maxSessions,
        maxSessionsPerPrincipal: settings.maxSessionsPerPrincipal ?? settings.maxSessions,
      },
      {
        ...(now === undefined ? {} : { now }),
        observe: (operation, seconds, ok) => {
          metrics.redisCommand(operation, seconds, ok);
        },
        onTrouble: (message) => {
          logger.warn(message);
        },
      },
    );
  const { store } = backplane;
  // On Fly without Redis a session lives in one machine only: its id names it (mcp/fly-replay.ts).
  const flyReplay =
    settings.replicaId === undefined || store.kind !== 'memory'
      ? undefined
      : createFlyReplay({
          machineId: settings.replicaId,
          onAnswer: (res, answer) => {
            metrics.flyReplay(answer.transport, answer.outcome);
            requestLogger(res, logger).debug(answer, 'session held by another machine');
          },
        });
  const sessions = createSessionRegistry({
    store,
    revive: (record) => reviveSession(newServer, record),
    onEnd: (kind, reason) => {
      logger.info({ session: kind, reason }, 'MCP session closed');
    },
    relay: backplane.relay,
    replica: replicaId,
    onRelay: (outcome) => {
      metrics.sseRelayed(outcome);
    },
  });
  const backendAuth = settings.backendAuth ?? {
    mode: settings.sharedToken === undefined ? 'forward' : 'shared',
  };
  const upstream = createUpstream({
    ...backendTokenOptions(settings, backendAuth),
    baseUrl: settings.goApiBaseUrl,
    tenantHeaderSecret: settings.tenantHeaderSecret,
    toolTimeoutMs: settings.toolTimeoutMs,
    ...(settings.upstreamMaxResponseBytes === undefined
      ? {}
      : { maxResponseBytes: settings.upstreamMaxResponseBytes }),
    userAgent: `toolbridge-mcp/${VERSION}`,
    ...(dispatcher === undefined ? {} : { dispatcher }),
    ...(now === undefined ? {} : { now }),
    logger,
    onExchange: (exchange) => {
      metrics.upstreamExchange(exchange);
    },
  });
  const metrics = createMetrics({
    sessions: () => ({ streamable: sessions.count('streamable'), sse: sessions.count('sse') }),
    pool: () => upstream.poolStats?.(),
    storeSessions: () => backplane.sessions(),
  });
  const tools = createToolRuntime({
    upstream,
    goApiBaseUrl: settings.goApiBaseUrl,
    onInternalError: (error, tool) => {
      logger.error({ err: error, tool }, 'tool failed unexpectedly');
    },
  });
  // One key set for client and identity tokens: one fetch, one cache, one cool-down.
  const keySet =
    jwks ?? (settings.auth.jwksUrl === undefined ? undefined : remoteKeySet(settings.auth.jwksUrl));
  const verify = createClientVerifier({
    ...settings.auth,
    resource: settings.publicBaseUrl === undefined ? undefined : resourceOf(settings.publicBaseUrl),
    pinnedTenant: settings.pinnedTenant,
    ...(keySet === undefined ? {} : { jwks: keySet }),
    ...(now === undefined ? {} : { now }),
  });
  const onBehalf = onBehalfOf(settings, keySet, logger, metrics, now);
  const identityFor = createIdentityResolver(settings.sharedToken, backendAuth.mode);
  const scopes = createScopePolicy(settings.scopes);
  const limiter = createRateLimiter(settings.rateLimits ?? [], backplane.buckets, (rule) => {
    metrics.rateLimited(rule.name);
  });
  const callerDeps = {
    tools,
    identityFor,
    fallbackPrincipal,
    logger,
    drain,
    metrics,
    maxInflightPerPrincipal: settings.maxInflightPerPrincipal,
    scopes,
    limiter,
  };
  const caller = createToolCaller(callerDeps);
  const principals = createPrincipalCarrier();
  const newServer = createServerFactory({ ...callerDeps, version: VERSION, principals }, caller);
  const app = createApp({
    logger,
    verify,
    onBehalf,
    newServer,
    principals,
    direct: { caller, serverInfo: { name: SERVER_NAME, version: VERSION }, principals },
    limitRequests: limiter?.request,
    sessions,
    now,
    replicaId,
    flyReplay,
    allowedOrigins: settings.allowedOrigins,
    allowedHosts: settings.allowedHosts ?? [],
    publicBaseUrl: settings.publicBaseUrl,
    bindHost: settings.host,
    authorizationServers: authorizationServersOf(settings),
    scopes,
    maxBodyBytes: settings.maxBodyBytes ?? 1024 * 1024,
    health: {
      backendUrl: settings.goApiBaseUrl,
      warnings: settings.warnings ?? [],
      drain,
      metrics,
      metricsRoute: settings.metricsPort === undefined,
      storeReadiness: () => backplane.readiness(),
    },
  });
  return {
    app,
    /** Settles true once the session store can serve, false after `timeoutMs`. */
    storeReady: (timeoutMs: number) => backplane.whenReady(timeoutMs),
    metrics,
    newServer,
    sessions,
    drain,
    replicaId,
    /**
     * Waits up to `timeoutMs` for running tool calls. Calls still waiting on the API then are cut:
     * each answers at once with an error that says the gateway is shutting down. Then ends the
     * sessions (SSE streams close cleanly) and the upstream pool. Resolves whether every call
     * finished in time.
     */
    async close(timeoutMs = 0): Promise<boolean> {
      const finished = await drain.settle(timeoutMs);
      if (!finished) {
        upstream.cut();
        // The cut calls answer within a turn or two of the event loop; let them be written.
        await drain.settle(CUT_ANSWER_MS);
      }
      // Let responses queued by the last handlers reach their sockets before transports close.
      await new Promise((resolve) => setImmediate(resolve));
      await sessions.closeAll();
      // Last: closing SSE streams deletes their records. An injected backplane is its owner's.
      if (deps.backplane === undefined) await backplane.close();
      await upstream.close();
      return finished;
    },
  };
}

export interface RunningGateway {
  /** e.g. http://127.0.0.1:8001 */
  readonly url: string;
  /** Where /metrics is served when TOOLBRIDGE_METRICS_PORT gave it a listener of its own. */
  readonly metricsUrl: string | undefined;
  readonly sessions: SessionRegistry;
  /** This replica's name in X-TB-Replica. */
  readonly replicaId: string;
  /** Turns /readyz to 503 so that balancers polling it stop routing here; serves as before. */
  announceStop(): void;
  /**
   * Stops accepting connections, lets running tool calls finish within `timeoutMs` (0: at once),
   * then closes everything. Resolves whether every call finished in time.
   */
  close(timeoutMs?: number): Promise<boolean>;
}

export async function startGateway(
  settings: GatewaySettings,
  logger: Logger,
  deps: GatewayDeps = {},
): Promise<RunningGateway> {
  const gateway = createGateway(settings, logger, deps);
  // A replica that listened before its Redis connection was up answered its first session
  // requests 503. It waits for Redis a little; a Redis down at start-up is the outage case
  // (fail fast, /readyz 503), not a reason to stay closed.
  if (!(await gateway.storeReady(STORE_START_WAIT_MS))) {
    logger.warn(
      { waitedMs: STORE_START_WAIT_MS },
      'listening without the session store: Redis did not answer at start-up; session requests fail fast until it does',
    );
  }
  const server: HttpServer = createHttpServer(gateway.app, settings.httpTimeouts, logger).listen(
    settings.port,
    settings.host,
  );
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  const host = settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host;
  const urlOf = (port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const metricsServer =
    settings.metricsPort === undefined
      ? undefined
      : createHttpServer(metricsListener(gateway.metrics), settings.httpTimeouts, logger).listen(
          settings.metricsPort,
          settings.host,
        );
  if (metricsServer !== undefined) {
    try {
      await once(metricsServer, 'listening');
    } catch (error) {
      // Nothing is served half-started: the MCP listener opened above closes with the gateway.
      server.close();
      await gateway.close();
      throw error;
    }
  }
  const metricsAddress = metricsServer?.address();
  return {
    url: urlOf(address.port),
    metricsUrl:
      metricsAddress === undefined || metricsAddress === null || typeof metricsAddress === 'string'
        ? undefined
        : `${urlOf(metricsAddress.port)}/metrics`,
    sessions: gateway.sessions,
    replicaId: gateway.replicaId,
    announceStop() {
      gateway.drain.announce();
    },
    async close(timeoutMs = 0) {
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      const finished = await gateway.close(timeoutMs);
      server.closeAllConnections();
      await closed;
      return finished;
    },
  };
}
