import type { JWTVerifyGetKey } from 'jose';
import { createIdentityFailureReporter } from './auth/identity-drift.ts';
import { createIdentityVerifier } from './auth/identity-token.ts';
import { createOnBehalfVerifier } from './auth/on-behalf.ts';
import { createServiceKeyLookup } from './auth/service-keys.ts';
import { AppError } from './errors.ts';
import type { GatewaySettings } from './gateway-settings.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { MintOptions, TokenExchangeOptions } from './proxy/index.ts';

/**
 * How the gateway's settings become its identity parts: what the upstream client needs to mint
 * or exchange backend tokens, the authorization servers the metadata names, and the verifier of
 * agent runtimes' service-key calls. gateway.ts assembles them with the rest.
 */

/** How the upstream client mints or exchanges backend tokens, for those two modes. */
export function backendTokenOptions(
  settings: GatewaySettings,
  backendAuth: NonNullable<GatewaySettings['backendAuth']>,
): { mint?: MintOptions; tokenExchange?: TokenExchangeOptions } {
  if (backendAuth.mode === 'mint') {
    if (backendAuth.secret === undefined || backendAuth.secret === '') {
      throw new AppError('CONFIG_INVALID', 'TOOLBRIDGE_BACKEND_AUTH=mint needs a backend secret');
    }
    return {
      mint: {
        secret: backendAuth.secret,
        issuer: backendAuth.issuer,
        audience: backendAuth.audience,
        tenantClaim: settings.auth.tenantClaim,
        lifetimeSeconds: backendAuth.lifetimeSeconds,
      },
    };
  }
  if (backendAuth.mode === 'exchange') {
    return {
      tokenExchange: {
        audience: backendAuth.audience ?? settings.goApiBaseUrl,
        timeoutMs: backendAuth.exchangeTimeoutMs,
      },
    };
  }
  return {};
}

/**
 * Where the metadata sends clients for tokens: as configured, or else the issuer of the tokens
 * the JWKS verifies. An HS256 secret is the Go API's, not an authorization server clients can use.
 */
export function authorizationServersOf({ authorizationServers, auth }: GatewaySettings) {
  if (authorizationServers !== undefined) return authorizationServers;
  return auth.jwksUrl !== undefined && auth.issuer !== undefined ? [auth.issuer] : [];
}

/**
 * The agent-runtime back-channel (issue 18 §3): service keys, and the identity tokens their calls
 * carry, verified with TOOLBRIDGE_IDENTITY_SECRET or the gateway's key set. Refused identities are
 * counted, and a signature drift is logged now and then; undefined without service keys.
 */
export function onBehalfOf(
  settings: GatewaySettings,
  keySet: JWTVerifyGetKey | undefined,
  logger: Logger,
  metrics: Metrics,
  now: (() => number) | undefined,
) {
  const backChannel = settings.backChannel;
  if (backChannel === undefined || backChannel.serviceKeys.length === 0) return undefined;
  const verifyIdentity = createIdentityVerifier({
    header: backChannel.identityHeader,
    secret: backChannel.identitySecret,
    jwks: keySet,
    issuer: settings.auth.issuer,
    audience: settings.auth.audience,
    tenantClaim: settings.auth.tenantClaim,
    pinnedTenant: settings.pinnedTenant,
    maxTtlSeconds: backChannel.identityMaxTtlSeconds,
    ...(now === undefined ? {} : { now }),
  });
  const verifyCall = createOnBehalfVerifier({
    lookup: createServiceKeyLookup(backChannel.serviceKeys),
    verifyIdentity,
    onIdentityFailure: createIdentityFailureReporter({
      log: logger,
      count: (reason) => {
        metrics.identityFailure(reason);
      },
      ...(now === undefined ? {} : { now }),
    }),
  });
  return { verify: verifyCall, header: backChannel.identityHeader };
}
