import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { JWTVerifyGetKey } from 'jose';
import type { Dispatcher } from 'undici';
import { createApp } from './app.ts';
import { createIdentityResolver } from './auth/identity.ts';
import { createClientVerifier, type Principal, type VerifierOptions } from './auth/verifier.ts';
import { createDrain } from './drain.ts';
import type { Logger } from './log.ts';
import { metricsListener } from './http/health.ts';
import { createHttpServer, type HttpTimeouts } from './http/server.ts';
import { createMetrics } from './metrics.ts';
import { SERVER_NAME, createServerFactory } from './mcp/server.ts';
import { createPrincipalCarrier } from './mcp/principal.ts';
import { createToolCaller } from './mcp/tool-call.ts';
import { reviveSession } from './mcp/session-routes.ts';
import { createSessionRegistry, type SessionRegistry } from './mcp/sessions.ts';
import { createUpstream } from './proxy/index.ts';
import { createMemorySessionStore } from './store/memory-store.ts';
import type { SessionStore } from './store/index.ts';
import { createToolRuntime } from './tools/index.ts';

/** Everything the gateway needs, resolved: main.ts fills it from the configuration. */
export interface GatewaySettings {
  goApiBaseUrl: string;
  tenantHeaderSecret: string;
  auth: Omit<VerifierOptions, 'now' | 'jwks' | 'pinnedTenant'>;
  pinnedTenant?: string | undefined;
  /** TOOLBRIDGE_JWT_TOKEN: every caller acts as this backend user. */
  sharedToken?: string | undefined;
  host: string;
  port: number;
  /** TOOLBRIDGE_METRICS_PORT: /metrics on a listener of its own, off the MCP port. */
  metricsPort?: number | undefined;
  /** TOOLBRIDGE_HTTP_*_TIMEOUT_SECONDS: how long a request may take to arrive, on both ports. */
  httpTimeouts?: HttpTimeouts | undefined;
  allowedOrigins: readonly string[];
  /** TOOLBRIDGE_ALLOWED_HOSTS: names the Host check accepts besides the public URL's. */
  allowedHosts?: readonly string[];
  publicBaseUrl?: string | undefined;
  toolTimeoutMs: number;
  /** TOOLBRIDGE_UPSTREAM_MAX_RESPONSE_BYTES: larger API answers fail the call (default 32 MiB). */
  upstreamMaxResponseBytes?: number;
  sessionIdleSeconds: number;
  maxSessions: number;
  /** Sessions one principal may hold (default: maxSessions). */
  maxSessionsPerPrincipal?: number;
  /** Tool calls one principal may have running at once (default: no cap). */
  maxInflightPerPrincipal?: number | undefined;
  maxBodyBytes?: number;
  /** Standing configuration warnings, repeated by /readyz. */
  warnings?: readonly string[];
}

export const VERSION: string = (() => {
  const pkg: unknown = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  );
  return typeof pkg === 'object' &&
    pkg !== null &&
    'version' in pkg &&
    typeof pkg.version === 'string'
    ? pkg.version
    : '0.0.0';
})();

/** How long a shutdown waits, after cutting the calls still running, for their answers. */
const CUT_ANSWER_MS = 1_000;

/**
 * What the gateway takes from outside besides its settings, so tests inject them instead of
 * re-wiring this file or sleeping on the real clock. Each has a production default.
 */
export interface GatewayDeps {
  /** Milliseconds since the epoch: token expiry, X-TB-Timestamp, session times. */
  now?: () => number;
  /** The upstream dispatcher (an undici MockAgent, a recording agent); its owner closes it. */
  dispatcher?: Dispatcher;
  /** Key lookup for asymmetric client tokens, in place of the JWKS URL's remote set. */
  jwks?: JWTVerifyGetKey;
  /** Where session records live (default: in memory, with the settings' idle time and caps). */
  sessionStore?: SessionStore;
  /** stdio has no HTTP edge: every call acts as this principal. */
  fallbackPrincipal?: Principal;
}

/** The parts of a gateway, built once; `close()` releases sessions and the upstream pool. */
export function createGateway(settings: GatewaySettings, logger: Logger, deps: GatewayDeps = {}) {
  const { now, dispatcher, jwks, fallbackPrincipal } = deps;
  const drain = createDrain();
  const store =
    deps.sessionStore ??
    createMemorySessionStore({
      idleMs: settings.sessionIdleSeconds * 1000,
      max: settings.maxSessions,
      maxPerOwner: settings.maxSessionsPerPrincipal ?? settings.maxSessions,
      ...(now === undefined ? {} : { now }),
    });
  const sessions = createSessionRegistry({
    store,
    revive: (record) => reviveSession(newServer, record),
    onEnd: (kind, reason) => {
      logger.info({ session: kind, reason }, 'MCP session closed');
    },
  });
  const upstream = createUpstream({
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
  });
  const tools = createToolRuntime({
    upstream,
    goApiBaseUrl: settings.goApiBaseUrl,
    onInternalError: (error, tool) => {
      logger.error({ err: error, tool }, 'tool failed unexpectedly');
    },
  });
  const verify = createClientVerifier({
    ...settings.auth,
    pinnedTenant: settings.pinnedTenant,
    ...(jwks === undefined ? {} : { jwks }),
    ...(now === undefined ? {} : { now }),
  });
  const identityFor = createIdentityResolver(settings.sharedToken);
  const callerDeps = {
    tools,
    identityFor,
    fallbackPrincipal,
    logger,
    drain,
    metrics,
    maxInflightPerPrincipal: settings.maxInflightPerPrincipal,
  };
  const caller = createToolCaller(callerDeps);
  const principals = createPrincipalCarrier();
  const newServer = createServerFactory({ ...callerDeps, version: VERSION, principals }, caller);
  const app = createApp({
    logger,
    verify,
    newServer,
    principals,
    direct: { caller, serverInfo: { name: SERVER_NAME, version: VERSION } },
    sessions,
    now,
    allowedOrigins: settings.allowedOrigins,
    allowedHosts: settings.allowedHosts ?? [],
    publicBaseUrl: settings.publicBaseUrl,
    bindHost: settings.host,
    issuer: settings.auth.issuer,
    maxBodyBytes: settings.maxBodyBytes ?? 1024 * 1024,
    health: {
      backendUrl: settings.goApiBaseUrl,
      warnings: settings.warnings ?? [],
      drain,
      metrics,
      metricsRoute: settings.metricsPort === undefined,
    },
  });
  return {
    app,
    metrics,
    newServer,
    sessions,
    drain,
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
      // An injected store is its owner's to close.
      if (deps.sessionStore === undefined) await store.close();
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
