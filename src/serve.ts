import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { decodeJwt } from 'jose';
import { subjectOf } from './auth/identity.ts';
import { resolveTenant } from './auth/verifier.ts';
import type { Config } from './config.ts';
import {
  DEV_SUBJECT,
  DEV_TENANT,
  mintToken,
  startDevBackend,
  type DevBackend,
} from './dev-backend.ts';
import { AppError } from './errors.ts';
import { createGateway, startGateway, type GatewaySettings } from './gateway.ts';
import { listenFailure } from './listen-errors.ts';
import type { Logger } from './log.ts';

/**
 * Serving MCP from a loaded configuration: over HTTP (with the embedded ToolBridge API when no Go
 * API is configured) or over stdio. Resolves once a signal asked it to stop and it has drained.
 */

function settingsFrom(config: Config, dev: DevBackend | undefined): GatewaySettings {
  const jwtSecret =
    config.auth.jwtSecret ?? (config.auth.jwksUrl === undefined ? dev?.jwtSecret : undefined);
  return {
    goApiBaseUrl: dev?.backend.url ?? config.goApiBaseUrl ?? '',
    tenantHeaderSecret: dev?.tenantHeaderSecret ?? config.tenantHeaderSecret ?? '',
    auth: { ...config.auth, jwtSecret },
    authorizationServers: config.authorizationServers,
    scopes: config.scopes,
    pinnedTenant: config.tenantId ?? (dev === undefined ? undefined : DEV_TENANT),
    sharedToken: config.jwtToken,
    backendAuth: {
      ...config.backendAuth,
      // The Go API's JWT_HS256_SECRET: the embedded API's own, else as configured.
      secret: dev?.jwtSecret ?? config.backendAuth.secret ?? config.auth.jwtSecret,
    },
    host: config.host,
    port: config.port,
    metricsPort: config.metricsPort,
    allowedOrigins: config.allowedOrigins,
    allowedHosts: config.allowedHosts,
    publicBaseUrl: config.publicBaseUrl,
    toolTimeoutMs: config.toolTimeoutMs,
    upstreamMaxResponseBytes: config.upstreamMaxResponseBytes,
    sessionIdleSeconds: config.sessionIdleSeconds,
    maxSessions: config.maxSessions,
    maxSessionsPerPrincipal: config.maxSessionsPerPrincipal,
    redisUrl: config.redisUrl,
    redisPassword: config.redisPassword,
    replicaId: config.flyMachineId,
    maxInflightPerPrincipal: config.maxInflightPerPrincipal,
    backChannel: config.backChannel,
    rateLimits: config.rateLimits,
    httpTimeouts: config.httpTimeouts,
    warnings: config.warnings,
  };
}

/**
 * The banner's lines about client tokens. A token is printed only when its secret is a generated
 * one: one signed with a configured TOOLBRIDGE_JWT_SECRET (maybe a real API's) must not land in a
 * terminal or a log. Where that secret is kept says what the token outlives.
 */
async function tokenLines(dev: DevBackend, settings: GatewaySettings): Promise<string[]> {
  const secret = dev.generated;
  if (secret === undefined) return ['  Client tokens: HS256, signed with TOOLBRIDGE_JWT_SECRET'];
  const token = await mintToken(dev.jwtSecret, {
    sub: DEV_SUBJECT,
    [settings.auth.tenantClaim]: settings.pinnedTenant ?? DEV_TENANT,
  });
  return [
    secret.kept
      ? `  Dev secret: kept in ${secret.path} (tokens outlive restarts; delete it to revoke them)`
      : `  Dev secret: for this run only`,
    ...(secret.note === undefined ? [] : [`  Note: ${secret.note}`]),
    `  Dev bearer token (sub=${DEV_SUBJECT}, 24 h), for MCP Inspector's Authorization header:`,
    `  Bearer ${token}`,
  ];
}

async function serveHttp(settings: GatewaySettings, dev: DevBackend | undefined, log: Logger) {
  const gateway = await startGateway(settings, log);
  log.info(
    { url: `${gateway.url}/mcp`, metrics: gateway.metricsUrl, replica: gateway.replicaId },
    'MCP gateway listening',
  );
  if (dev !== undefined) {
    process.stdout.write(
      [
        '',
        `ToolBridge MCP gateway (embedded ToolBridge API at ${dev.backend.url})`,
        `  Streamable HTTP: ${gateway.url}/mcp`,
        `  Legacy SSE:      ${gateway.url}/sse`,
        ...(await tokenLines(dev, settings)),
        '',
      ].join('\n'),
    );
  }
  return gateway;
}

/**
 * stdio has no HTTP edge and no client token: every call acts as TOOLBRIDGE_JWT_TOKEN's user, for
 * TOOLBRIDGE_TENANT_ID or else the tenant claim in that token.
 */
/** The tenant of TOOLBRIDGE_JWT_TOKEN, by the same rule as a client token's (auth/verifier.ts). */
function stdioTenant(token: string, claim: string, pinned: string | undefined): string {
  let claims: Readonly<Record<string, unknown>> = {};
  try {
    claims = decodeJwt(token);
  } catch {
    // Not a JWT: nothing is claimed; the Go API will judge the token itself.
  }
  try {
    return resolveTenant(claims, claim, pinned);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const problem =
      error.code === 'TENANT_UNRESOLVED'
        ? `--stdio needs TOOLBRIDGE_TENANT_ID or a '${claim}' claim in TOOLBRIDGE_JWT_TOKEN`
        : pinned === undefined
          ? `the '${claim}' claim of TOOLBRIDGE_JWT_TOKEN must be a non-empty string`
          : `the '${claim}' claim of TOOLBRIDGE_JWT_TOKEN must be TOOLBRIDGE_TENANT_ID's tenant`;
    throw new AppError('CONFIG_INVALID', `invalid configuration: ${problem}`);
  }
}

function serveOverStdio(config: Config, settings: GatewaySettings, log: Logger) {
  const token = config.jwtToken;
  if (token === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      'invalid configuration: --stdio needs TOOLBRIDGE_JWT_TOKEN (the backend identity)',
    );
  }
  const tenantId = stdioTenant(token, config.auth.tenantClaim, settings.pinnedTenant);
  const principal = { subject: subjectOf(token), tenantId, authorization: `Bearer ${token}` };
  // One client, no HTTP sessions: nothing to share through Redis, so no connection to it.
  const gateway = createGateway({ ...settings, sharedToken: token, redisUrl: undefined }, log, {
    fallbackPrincipal: principal,
  });
  const handle = serveStdio(() => gateway.newServer('stdio'), {
    onerror: (error) => {
      log.warn({ err: error }, 'stdio error');
    },
  });
  return {
    async close(timeoutMs: number) {
      // The gateway drains, then cuts what still waits on the API; those calls answer over the
      // transport before it closes, as they do over HTTP.
      const finished = await gateway.close(timeoutMs);
      await handle.close();
      return finished;
    },
  };
}

/**
 * Resolves with what asked the process to stop: SIGINT, SIGTERM, or, on stdio, the client closing
 * standard input (the SDK's transport then closes itself; the stdio binding expects an exit).
 */
function stopRequested(transport: Transport): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (transport === 'stdio') {
      process.stdin.once('end', () => {
        resolve('end of stdin');
      });
    }
  });
}

export type Transport = 'http' | 'stdio';

export interface ServeOptions {
  /** Where the embedded API keeps its generated JWT secret: the working directory. */
  readonly stateDir: string;
}

export async function serve(
  config: Config,
  transport: Transport,
  log: Logger,
  options: ServeOptions,
): Promise<void> {
  const dev =
    config.goApiBaseUrl === undefined
      ? await startDevBackend(config.backendAuth.secret ?? config.auth.jwtSecret, options.stateDir)
      : undefined;
  if (dev !== undefined) log.info({ url: dev.backend.url }, 'embedded ToolBridge API listening');
  const settings = settingsFrom(config, dev);
  let running: { close(timeoutMs: number): Promise<boolean>; announceStop?: () => void };
  try {
    running =
      transport === 'stdio'
        ? serveOverStdio(config, settings, log)
        : await serveHttp(settings, dev, log);
  } catch (error) {
    await dev?.backend.close();
    throw listenFailure(error, settings) ?? error;
  }
  const reason = await stopRequested(transport);
  const delaySeconds = config.shutdownDelaySeconds;
  if (running.announceStop !== undefined && delaySeconds > 0) {
    // For balancers that route by polling /readyz (HAProxy, Kubernetes): they take the replica
    // out of rotation while it still serves, so no request is on its way when it closes.
    running.announceStop();
    log.info({ signal: reason, delaySeconds }, 'stopping: /readyz answers 503 before the drain');
    await new Promise((resolve) => setTimeout(resolve, delaySeconds * 1000));
  }
  // Fly's kill_timeout must stay above TOOLBRIDGE_SHUTDOWN_TIMEOUT_SECONDS (fly.staging.toml).
  log.info(
    { signal: reason, timeoutSeconds: config.shutdownTimeoutSeconds },
    'shutting down: draining in-flight calls',
  );
  const finished = await running.close(config.shutdownTimeoutSeconds * 1000);
  if (!finished) log.warn('shutdown timeout reached with tool calls still running; they were cut');
  await dev?.backend.close();
  log.info('stopped');
}
