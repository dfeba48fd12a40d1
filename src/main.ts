#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { claimOf, subjectOf } from './auth/identity.ts';
import { describeConfig, loadConfigFromProcess, type Config } from './config.ts';
import { devToken, startDevBackend, type DevBackend } from './dev-backend.ts';
import { AppError } from './errors.ts';
import { createGateway, startGateway, type GatewaySettings } from './gateway.ts';
import { createLogger, type Logger } from './log.ts';

/** sysexits(3) codes, so supervisors can tell a usage or configuration error from a crash. */
const EX_USAGE = 64;
const EX_CONFIG = 78;
const DEV_TENANT = 'dev-tenant';
const DEV_SUBJECT = 'dev-user';

const USAGE = `Usage: toolbridge-mcp [--stdio] [--help]

Serves MCP over HTTP (Streamable HTTP at /mcp, legacy SSE at /sse) or, with --stdio, over
standard input/output. Configuration comes from TOOLBRIDGE_* environment variables and ./.env
(see README.md). Without TOOLBRIDGE_GO_API_BASE_URL an embedded ToolBridge API is started.
`;

function settingsFrom(config: Config, dev: DevBackend | undefined): GatewaySettings {
  const jwtSecret =
    config.auth.jwtSecret ?? (config.auth.jwksUrl === undefined ? dev?.jwtSecret : undefined);
  return {
    goApiBaseUrl: dev?.backend.url ?? config.goApiBaseUrl ?? '',
    tenantHeaderSecret: dev?.tenantHeaderSecret ?? config.tenantHeaderSecret ?? '',
    auth: { ...config.auth, jwtSecret },
    pinnedTenant: config.tenantId ?? (dev === undefined ? undefined : DEV_TENANT),
    sharedToken: config.jwtToken,
    host: config.host,
    port: config.port,
    allowedOrigins: config.allowedOrigins,
    publicBaseUrl: config.publicBaseUrl,
    toolTimeoutMs: config.toolTimeoutMs,
    sessionIdleSeconds: config.sessionIdleSeconds,
    maxSessions: config.maxSessions,
    warnings: config.warnings,
  };
}

async function serveHttp(settings: GatewaySettings, dev: DevBackend | undefined, log: Logger) {
  const gateway = await startGateway(settings, log);
  log.info({ url: `${gateway.url}/mcp` }, 'MCP gateway listening');
  if (dev !== undefined) {
    const token = await devToken(dev.jwtSecret, {
      sub: DEV_SUBJECT,
      tenant_id: settings.pinnedTenant ?? DEV_TENANT,
    });
    process.stdout.write(
      [
        '',
        `ToolBridge MCP gateway (embedded ToolBridge API at ${dev.backend.url})`,
        `  Streamable HTTP: ${gateway.url}/mcp`,
        `  Legacy SSE:      ${gateway.url}/sse`,
        `  Dev bearer token (sub=${DEV_SUBJECT}, 24 h), for MCP Inspector's Authorization header:`,
        `  Bearer ${token}`,
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
function serveOverStdio(config: Config, settings: GatewaySettings, log: Logger) {
  const token = config.jwtToken;
  if (token === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      'invalid configuration: --stdio needs TOOLBRIDGE_JWT_TOKEN (the backend identity)',
    );
  }
  const tenantId = settings.pinnedTenant ?? claimOf(token, config.auth.tenantClaim);
  if (tenantId === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      `invalid configuration: --stdio needs TOOLBRIDGE_TENANT_ID or a '${config.auth.tenantClaim}' claim in TOOLBRIDGE_JWT_TOKEN`,
    );
  }
  const principal = { subject: subjectOf(token), tenantId, authorization: `Bearer ${token}` };
  const gateway = createGateway({ ...settings, sharedToken: token }, log, principal);
  const handle = serveStdio(() => gateway.newServer(), {
    onerror: (error) => {
      log.warn({ err: error }, 'stdio error');
    },
  });
  return {
    async close(timeoutMs: number) {
      const finished = await gateway.drain.settle(timeoutMs);
      await handle.close();
      await gateway.close();
      return finished;
    },
  };
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        stdio: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(
      `toolbridge-mcp: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`,
    );
    return EX_USAGE;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfigFromProcess(values.stdio ? 'stdio' : 'http');
  } catch (error) {
    // An AppError's message is safe to show by construction; anything else is a bug.
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`toolbridge-mcp: ${error.message}\n`);
    return EX_CONFIG;
  }
  const log = createLogger({
    level: config.logLevel,
    secrets: [config.tenantHeaderSecret, config.jwtToken, config.auth.jwtSecret],
    // stdout carries the protocol in stdio mode, so logs go to stderr there.
    pretty: !values.stdio && process.stdout.isTTY,
    ...(values.stdio ? { destination: process.stderr } : {}),
  });
  for (const warning of config.warnings) log.warn(warning);
  log.info({ config: describeConfig(config) }, 'starting');

  const dev =
    config.goApiBaseUrl === undefined ? await startDevBackend(config.auth.jwtSecret) : undefined;
  const settings = settingsFrom(config, dev);
  let running: { close(timeoutMs: number): Promise<boolean> };
  try {
    running = values.stdio
      ? serveOverStdio(config, settings, log)
      : await serveHttp(settings, dev, log);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`toolbridge-mcp: ${error.message}\n`);
    await dev?.backend.close();
    return EX_CONFIG;
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // Fly's kill_timeout must stay above TOOLBRIDGE_SHUTDOWN_TIMEOUT_SECONDS (fly.staging.toml).
  log.info(
    { signal, timeoutSeconds: config.shutdownTimeoutSeconds },
    'shutting down: draining in-flight calls',
  );
  const finished = await running.close(config.shutdownTimeoutSeconds * 1000);
  if (!finished) log.warn('shutdown timeout reached with tool calls still running; they were cut');
  await dev?.backend.close();
  log.info('stopped');
  return 0;
}

process.exitCode = await main();
