import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createApp } from './app.ts';
import { createIdentityResolver } from './auth/identity.ts';
import { createClientVerifier, type Principal, type VerifierOptions } from './auth/verifier.ts';
import type { Logger } from './log.ts';
import { createServerFactory } from './mcp/server.ts';
import { createSessionRegistry } from './mcp/sessions.ts';
import { createUpstream } from './proxy/index.ts';
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
  allowedOrigins: readonly string[];
  publicBaseUrl?: string | undefined;
  toolTimeoutMs: number;
  sessionIdleSeconds: number;
  maxSessions: number;
  maxBodyBytes?: number;
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

/** The parts of a gateway, built once; `close()` releases sessions and the upstream pool. */
export function createGateway(
  settings: GatewaySettings,
  logger: Logger,
  fallbackPrincipal?: Principal,
) {
  const upstream = createUpstream({
    baseUrl: settings.goApiBaseUrl,
    tenantHeaderSecret: settings.tenantHeaderSecret,
    toolTimeoutMs: settings.toolTimeoutMs,
    userAgent: `toolbridge-mcp/${VERSION}`,
  });
  const tools = createToolRuntime({
    upstream,
    goApiBaseUrl: settings.goApiBaseUrl,
    onInternalError: (error, tool) => {
      logger.error({ err: error, tool }, 'tool failed unexpectedly');
    },
  });
  const verify = createClientVerifier({ ...settings.auth, pinnedTenant: settings.pinnedTenant });
  const identityFor = createIdentityResolver(settings.sharedToken);
  const newServer = createServerFactory({
    tools,
    identityFor,
    fallbackPrincipal,
    logger,
    version: VERSION,
  });
  const sessions = createSessionRegistry({
    idleMs: settings.sessionIdleSeconds * 1000,
    max: settings.maxSessions,
    onEvict: (entry, reason) => {
      logger.info({ session: entry.kind, reason }, 'MCP session closed');
    },
  });
  const app = createApp({
    logger,
    verify,
    newServer,
    sessions,
    allowedOrigins: settings.allowedOrigins,
    publicBaseUrl: settings.publicBaseUrl,
    bindHost: settings.host,
    issuer: settings.auth.issuer,
    maxBodyBytes: settings.maxBodyBytes ?? 1024 * 1024,
  });
  return {
    app,
    tools,
    newServer,
    identityFor,
    sessions,
    async close() {
      await sessions.closeAll();
      await upstream.close();
    },
  };
}

export interface RunningGateway {
  /** e.g. http://127.0.0.1:8001 */
  readonly url: string;
  readonly sessions: ReturnType<typeof createGateway>['sessions'];
  close(): Promise<void>;
}

export async function startGateway(
  settings: GatewaySettings,
  logger: Logger,
): Promise<RunningGateway> {
  const gateway = createGateway(settings, logger);
  const server: HttpServer = gateway.app.listen(settings.port, settings.host);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  const host = settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    sessions: gateway.sessions,
    async close() {
      const closed = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      server.closeIdleConnections();
      await gateway.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
