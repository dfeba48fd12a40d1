import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { createIdentityVerifier } from '../auth/identity-token.ts';
import type { Config } from '../config.ts';
import { DEV_TENANT } from '../dev-backend.ts';
import { AppError } from '../errors.ts';
import type { Report } from './report.ts';

/**
 * The doctor's agent-runtime checks: whether service keys can work at all (something verifies
 * identity tokens), and, with `--identity-token`, whether a sample token from the agent platform
 * passes every check a service-key call makes. A signature that does not verify is named as
 * what it nearly always is: the two sides hold different secrets. Neither the token nor the
 * secret is ever printed (the report scrubs both as well).
 */

export interface IdentityCheckOptions {
  /** A sample identity token, as the platform would send it in the identity header. */
  token?: string | undefined;
  now: () => number;
  /** Key lookup in place of TOOLBRIDGE_JWT_JWKS_URL's remote set (tests). */
  jwks?: JWTVerifyGetKey | undefined;
}

const SECRET_FIX =
  "set TOOLBRIDGE_IDENTITY_SECRET to the secret the agent platform signs identity tokens with (or TOOLBRIDGE_JWT_JWKS_URL to the platform's key set)";

function verifiersOf(config: Config): string[] {
  return [
    ...(config.backChannel.identitySecret === undefined
      ? []
      : ['TOOLBRIDGE_IDENTITY_SECRET (HS256)']),
    ...(config.auth.jwksUrl === undefined ? [] : ['TOOLBRIDGE_JWT_JWKS_URL']),
  ];
}

/** Service keys, and what their identities are checked with. Returns whether anything can. */
function checkSetup(config: Config, report: Report): boolean {
  const { serviceKeys, identityHeader, identityMaxTtlSeconds } = config.backChannel;
  const verifiers = verifiersOf(config);
  if (verifiers.length === 0) {
    report.fail(
      serviceKeys.length === 0
        ? 'agent runtimes: nothing verifies identity tokens'
        : 'agent runtimes: TOOLBRIDGE_SERVICE_KEYS is set but nothing verifies identity tokens, so every service-key call would be refused',
      SECRET_FIX,
    );
    return false;
  }
  const keys =
    serviceKeys.length === 0
      ? 'no service keys yet (TOOLBRIDGE_SERVICE_KEYS; toolbridge-mcp keys new makes one)'
      : `${serviceKeys.length} service key${serviceKeys.length === 1 ? '' : 's'} (${serviceKeys.map((key) => key.id).join(', ')})`;
  report.pass(
    `agent runtimes: ${keys}; identity tokens in ${identityHeader}, checked with ${verifiers.join(' and ')}, living at most ${identityMaxTtlSeconds} s`,
  );
  return true;
}

/** What a refusal of the sample means, and what to change. */
function explain(error: AppError, maxTtl: number): { text: string; fix: string } {
  const verified = '(its signature verifies, so the secret matches)';
  switch (error.code) {
    case 'IDENTITY_SIGNATURE':
      return error.details['source'] === 'jwks'
        ? {
            text: 'identity token: the signature does not verify: the platform signs with a key TOOLBRIDGE_JWT_JWKS_URL does not publish (key drift)',
            fix: 'point TOOLBRIDGE_JWT_JWKS_URL at the key set of the platform that signs identity tokens',
          }
        : {
            text: 'identity token: the signature does not verify: TOOLBRIDGE_IDENTITY_SECRET does not match the secret the agent platform signs with (secret drift)',
            fix: "copy the platform's identity signing secret into TOOLBRIDGE_IDENTITY_SECRET; both sides must hold the same value",
          };
    case 'IDENTITY_EXPIRED': {
      const exp = error.details['expiresAt'];
      const when = typeof exp === 'number' ? ` at ${new Date(exp * 1000).toISOString()}` : '';
      return {
        text: `identity token: expired${when} ${verified}`,
        fix: 'identity tokens live minutes: take a fresh sample from the platform and run doctor again',
      };
    }
    case 'IDENTITY_TTL_TOO_LONG':
      return {
        text: `identity token: lives ${String(error.details['lifetimeSeconds'])} s, more than TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS (${maxTtl} s) ${verified}`,
        fix: `have the platform mint identity tokens for each call that live at most ${maxTtl} s; a long-lived identity in a runtime's config is what this limit refuses`,
      };
    case 'TENANT_FORBIDDEN':
    case 'TENANT_UNRESOLVED':
      return {
        text: `identity token: ${error.message} ${verified}`,
        fix: 'the platform must name a tenant this gateway serves in the tenant claim (TOOLBRIDGE_TENANT_CLAIM)',
      };
    case 'AUTH_UNAVAILABLE':
      return {
        text: `identity token: not checked: ${error.message}`,
        fix: 'check that TOOLBRIDGE_JWT_JWKS_URL is reachable from here',
      };
    default:
      return {
        text: `identity token: ${error.message}`,
        fix: "have the platform send a JWT with 'sub', the tenant claim, 'iat' and 'exp', signed HS256 with the identity secret",
      };
  }
}

/** Which configured keys may act for a tenant: those without `tenants`, and those naming it. */
function keysFor(config: Config, tenantId: string): string[] {
  return config.backChannel.serviceKeys
    .filter((key) => key.tenants === undefined || key.tenants.includes(tenantId))
    .map((key) => key.id);
}

export async function checkAgentRuntimes(
  config: Config,
  report: Report,
  options: IdentityCheckOptions,
): Promise<void> {
  if (config.backChannel.serviceKeys.length === 0 && options.token === undefined) return;
  if (!checkSetup(config, report)) {
    if (options.token !== undefined)
      report.skip('identity token: skipped (nothing to check it with)');
    return;
  }
  if (options.token === undefined) return;
  const { auth, backChannel } = config;
  const verify = createIdentityVerifier({
    header: backChannel.identityHeader,
    secret: backChannel.identitySecret,
    jwks:
      options.jwks ??
      (auth.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(auth.jwksUrl))),
    issuer: auth.issuer,
    audience: auth.audience,
    tenantClaim: auth.tenantClaim,
    // As the gateway pins it (src/serve.ts): the embedded API serves its dev tenant only.
    pinnedTenant: config.tenantId ?? (config.goApiBaseUrl === undefined ? DEV_TENANT : undefined),
    maxTtlSeconds: backChannel.identityMaxTtlSeconds,
    now: options.now,
  });
  const maxTtl = backChannel.identityMaxTtlSeconds;
  let identity;
  try {
    identity = await verify(options.token);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const { text, fix } = explain(error, maxTtl);
    report.fail(text, fix);
    return;
  }
  const left = Math.max(0, Math.round(identity.expiresAt - options.now() / 1000));
  report.pass(
    `identity token: verifies; sub ${JSON.stringify(identity.subject)}, tenant ${JSON.stringify(identity.tenantId)}, expires in ${left} s`,
  );
  if (backChannel.serviceKeys.length === 0) return;
  const keys = keysFor(config, identity.tenantId);
  if (keys.length === 0) {
    report.warn(
      `identity token: no service key may act for tenant ${JSON.stringify(identity.tenantId)}`,
      'add the tenant to a key\'s "tenants" in TOOLBRIDGE_SERVICE_KEYS (or leave "tenants" out for any tenant)',
    );
  } else {
    report.pass(`identity token: service keys that may act for this tenant: ${keys.join(', ')}`);
  }
}
