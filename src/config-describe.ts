import { describeBackendAuth } from './config-backend.ts';
import type { Config } from './config.ts';
import { redisTarget } from './store/redis-target.ts';

/** What may be shown about a configuration: everything but the secrets' values. */
export function describeConfig(config: Config): Record<string, string | number> {
  const verifiers = [
    config.auth.jwtSecret === undefined ? undefined : 'HS256 secret',
    config.auth.jwksUrl === undefined ? undefined : `JWKS ${config.auth.jwksUrl}`,
  ].filter((part) => part !== undefined);
  return {
    goApiBaseUrl: config.goApiBaseUrl ?? '(embedded backend)',
    tenantId: config.tenantId ?? `(from the token's ${config.auth.tenantClaim} claim)`,
    backendIdentity: describeBackendAuth(config.backendAuth.mode),
    clientAuth:
      config.auth.mode === 'none'
        ? 'none (TOOLBRIDGE_AUTH=none)'
        : verifiers.length > 0
          ? verifiers.join(' + ')
          : 'the embedded backend dev secret',
    agentRuntimes: describeBackChannel(config),
    scopeChecks: describeScopes(config.scopes),
    host: config.host,
    port: config.port,
    logLevel: config.logLevel,
    toolTimeoutMs: config.toolTimeoutMs,
    rateLimits:
      config.rateLimits.length === 0
        ? 'none'
        : config.rateLimits.map((rule) => `${rule.name}=${rule.text}`).join(', '),
    sessionStore:
      config.redisUrl === undefined
        ? 'memory (this process)'
        : `Redis at ${redisTarget(config.redisUrl)}`,
  };
}

/** Service keys by id, and what verifies the identities their calls carry. */
function describeBackChannel(config: Config): string {
  const { serviceKeys, identityHeader, identitySecret, identityMaxTtlSeconds } = config.backChannel;
  if (serviceKeys.length === 0) return 'none (no TOOLBRIDGE_SERVICE_KEYS)';
  const verifiers = [
    identitySecret === undefined ? undefined : 'HS256 secret',
    config.auth.jwksUrl === undefined ? undefined : 'JWKS',
  ].filter((part) => part !== undefined);
  const ids = serviceKeys.map((key) => key.id).join(', ');
  return `${serviceKeys.length} service key${serviceKeys.length === 1 ? '' : 's'} (${ids}); identities in ${identityHeader} via ${verifiers.join(' + ')}, at most ${identityMaxTtlSeconds} s`;
}

function describeScopes({ required = [], read, write }: Config['scopes']): string {
  const parts = [
    required.length === 0 ? undefined : `every request needs ${required.join(' ')}`,
    read === undefined ? undefined : `reading tools need ${read} (or ${write ?? read})`,
    write === undefined ? undefined : `writing tools need ${write}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'none' : parts.join('; ');
}
