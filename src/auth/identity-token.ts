import {
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AppError, type ErrorCode, type ErrorDetails } from '../errors.ts';
import { createLru } from '../lru.ts';
import { JWKS_FAILURE_COOLDOWN_MS, resolveTenant } from './verifier.ts';

/**
 * The end user's identity on a call made with a service key (issue 18 §3): a short-lived JWT in
 * TOOLBRIDGE_IDENTITY_HEADER, signed by the agent platform with TOOLBRIDGE_IDENTITY_SECRET (HS256)
 * or by a key of the gateway's JWKS. It is checked on every call: one MCP session of a runtime
 * carries calls for many users, and each call acts as its own user.
 */

export interface IdentityVerifierOptions {
  /** The header the token arrives in, named in messages. */
  header: string;
  /** TOOLBRIDGE_IDENTITY_SECRET: HS256 identity tokens are checked with it. */
  secret?: string | undefined;
  /** The gateway's key set (TOOLBRIDGE_JWT_JWKS_URL): asymmetric identity tokens are checked with it. */
  jwks?: JWTVerifyGetKey | undefined;
  /** Checked on tokens the JWKS verifies, as on client tokens from the same identity provider. */
  issuer?: string | undefined;
  audience?: string | undefined;
  /** TOOLBRIDGE_TENANT_CLAIM. */
  tenantClaim: string;
  /** TOOLBRIDGE_TENANT_ID: the identity's tenant must be this one (the gateway's tenant rule). */
  pinnedTenant?: string | undefined;
  /** TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS: the most `exp − iat` may be. */
  maxTtlSeconds: number;
  /** Allowed clock difference for exp, nbf and iat. */
  leewaySeconds?: number;
  /** Verified identity tokens remembered at once (default 10,000). */
  cacheSize?: number;
  now?: () => number;
}

/** The user a service-key call acts for. */
export interface OnBehalfIdentity {
  readonly subject: string;
  readonly tenantId: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

/**
 * Verifies the header's value; `allowedTenants` are the service key's `tenants` (undefined: any).
 * Throws an AppError: IDENTITY_* (401), TENANT_FORBIDDEN or TENANT_UNRESOLVED (403), or
 * AUTH_UNAVAILABLE (503) while the JWKS cannot be fetched.
 */
export type IdentityVerifier = (
  value: string | undefined,
  allowedTenants?: readonly string[],
) => Promise<OnBehalfIdentity>;

/** What checked the signature; the drift log names the setting to fix. */
export type IdentityKeySource = 'secret' | 'jwks';

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

export function createIdentityVerifier(options: IdentityVerifierOptions): IdentityVerifier {
  const { header, jwks, maxTtlSeconds, tenantClaim, pinnedTenant } = options;
  const now = options.now ?? Date.now;
  const leeway = options.leewaySeconds ?? 30;
  const secret =
    options.secret === undefined ? undefined : new TextEncoder().encode(options.secret);
  const refused = (code: IdentityCode, text: string, details: ErrorDetails = {}) =>
    identityError(code, `the ${header} ${text}`, details);
  // As for client tokens: one failed fetch of the key set answers for a few seconds, so a key
  // server outage is not multiplied by the runtime's traffic.
  let keysFailedAt = -Infinity;

  const settle = async (
    source: IdentityKeySource,
    verifying: Promise<{ payload: JWTPayload }>,
  ): Promise<JWTPayload> => {
    try {
      return (await verifying).payload;
    } catch (error) {
      if (source === 'jwks' && keySourceFailed(error)) {
        keysFailedAt = now();
        throw keysUnavailable(error);
      }
      throw toIdentityError(error, header, source);
    }
  };

  const verify = (token: string): Promise<JWTPayload> => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw refused('IDENTITY_INVALID', 'token is not a JWT');
    }
    const checks = {
      currentDate: new Date(now()),
      clockTolerance: leeway,
      requiredClaims: ['exp', 'iat'],
    };
    if (alg === 'HS256' && secret !== undefined) {
      return settle('secret', jwtVerify(token, secret, { ...checks, algorithms: ['HS256'] }));
    }
    if (alg !== undefined && ASYMMETRIC_ALGORITHMS.includes(alg) && jwks !== undefined) {
      if (now() - keysFailedAt < JWKS_FAILURE_COOLDOWN_MS) throw keysUnavailable(undefined);
      const claims = {
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
      };
      return settle(
        'jwks',
        jwtVerify(token, jwks, { ...checks, ...claims, algorithms: ASYMMETRIC_ALGORITHMS }),
      );
    }
    throw refused(
      'IDENTITY_INVALID',
      `token's algorithm is not accepted (${describeKeys(options)})`,
    );
  };

  // A runtime sends each user's token on every call until it renews it, so a token that passed
  // is remembered until it expires: the steady state is a map lookup, not a signature check.
  // Only the token's own verdict is kept; the key's tenants are checked on every call.
  const verified = createLru<OnBehalfIdentity>(options.cacheSize ?? 10_000);
  const allowedBy = (identity: OnBehalfIdentity, allowedTenants: readonly string[] | undefined) => {
    if (allowedTenants !== undefined && !allowedTenants.includes(identity.tenantId)) {
      throw new AppError(
        'TENANT_FORBIDDEN',
        "this service key may not act for the identity's tenant",
      );
    }
    return identity;
  };

  return async (value, allowedTenants) => {
    const token = value?.trim() ?? '';
    if (token === '') throw refused('IDENTITY_MISSING', 'header is required with a service key');
    const known = verified.get(token);
    if (known !== undefined) {
      // jose accepts a token until exp + leeway; a remembered one is accepted no longer.
      if (now() < (known.expiresAt + leeway) * 1000) return allowedBy(known, allowedTenants);
      verified.delete(token);
    }
    if (/^bearer\s/i.test(token)) {
      throw refused('IDENTITY_INVALID', "header expects the bare token, without 'Bearer '");
    }
    const claims = await verify(token);
    if (typeof claims.sub !== 'string' || claims.sub === '') {
      throw refused('IDENTITY_INVALID', "token has no 'sub' claim");
    }
    // jose has checked that both are numbers and that exp has not passed.
    const { iat = 0, exp = 0 } = claims;
    if (iat > now() / 1000 + leeway) {
      // Otherwise a token issued "tomorrow" for five minutes would live a day from now.
      throw refused('IDENTITY_INVALID', "token's 'iat' is in the future");
    }
    if (exp - iat > maxTtlSeconds) {
      throw refused(
        'IDENTITY_TTL_TOO_LONG',
        `token lives ${exp - iat} s, more than the ${maxTtlSeconds} s TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS allows`,
        { lifetimeSeconds: exp - iat, maxTtlSeconds },
      );
    }
    const identity = {
      subject: claims.sub,
      tenantId: tenantOf(claims, tenantClaim, pinnedTenant, header),
      expiresAt: exp,
    };
    verified.set(token, identity);
    return allowedBy(identity, allowedTenants);
  };
}

type IdentityCode = Extract<ErrorCode, `IDENTITY_${string}`>;

function identityError(
  code: IdentityCode,
  message: string,
  details: ErrorDetails = {},
  cause?: unknown,
): AppError {
  return new AppError(code, message, { details, ...(cause === undefined ? {} : { cause }) });
}

/** The gateway's tenant rule (verifier.ts), its refusal saying which token it is about. */
function tenantOf(
  claims: JWTPayload,
  tenantClaim: string,
  pinnedTenant: string | undefined,
  header: string,
): string {
  try {
    return resolveTenant(claims, tenantClaim, pinnedTenant);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    throw new AppError(error.code, `the ${header} identity: ${error.message}`, { cause: error });
  }
}

function describeKeys(options: IdentityVerifierOptions): string {
  const accepted = [
    ...(options.secret === undefined ? [] : ['HS256']),
    ...(options.jwks === undefined ? [] : ['RS/PS/ES/EdDSA from the JWKS']),
  ];
  return accepted.length === 0 ? 'none is configured' : `accepted: ${accepted.join(', ')}`;
}

const keysUnavailable = (cause: unknown) =>
  new AppError(
    'AUTH_UNAVAILABLE',
    'the signing keys could not be fetched from the JWKS URL; try again shortly',
    { cause },
  );

/**
 * The key set could not be had (endpoint down, slow, not a key set) rather than the token being
 * wrong: jose reports a failed fetch as the fetch's own error, a timeout as JWKSTimeout, a bad
 * answer as JWKSInvalid or a generic JOSEError.
 */
function keySourceFailed(error: unknown): boolean {
  if (error instanceof AppError) return false;
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  if (error instanceof errors.JOSEError) return error.code === 'ERR_JOSE_GENERIC';
  return true;
}

/**
 * jose's failures as identity codes, with messages that never contain the token. Only a
 * signature that does not verify (or, with a JWKS, a key it does not hold) is IDENTITY_SIGNATURE:
 * that is what a secret that drifted from the platform's looks like, call after call.
 */
function toIdentityError(error: unknown, header: string, source: IdentityKeySource): AppError {
  const about = `the ${header} token`;
  if (error instanceof AppError) return error;
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey
  ) {
    return identityError(
      'IDENTITY_SIGNATURE',
      `${about}'s signature does not verify`,
      { source },
      error,
    );
  }
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    return identityError(
      'IDENTITY_EXPIRED',
      `${about} has expired`,
      typeof exp === 'number' ? { expiresAt: exp } : {},
      error,
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const text =
      error.reason === 'missing'
        ? `${about} has no '${error.claim}' claim`
        : `${about}'s '${error.claim}' claim is not accepted`;
    return identityError('IDENTITY_INVALID', text, { claim: error.claim }, error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return identityError('IDENTITY_INVALID', `${about}'s algorithm is not accepted`, {}, error);
  }
  return identityError('IDENTITY_INVALID', `${about} is malformed or not verifiable`, {}, error);
}
