import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AppError } from '../errors.ts';
import { scopesOf } from './scopes.ts';

/**
 * Client JWT verification, before any MCP work. The Python proxy never verified tokens (it
 * decoded `sub` without a signature check; CONTRACT.md A.2 step 4); this gateway refuses a
 * request unless its token verifies against the Go API's HS256 secret or the configured JWKS.
 */

export interface VerifierOptions {
  /** `none` skips verification on purpose: tokens are decoded, not checked (Python behaviour). */
  mode: 'jwt' | 'none';
  /** The Go API's JWT_HS256_SECRET: HS256/384/512 tokens are checked with it. */
  jwtSecret?: string | undefined;
  /** A JWKS for asymmetric tokens (RS/PS/ES/EdDSA), fetched and cached by jose. */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  /**
   * TOOLBRIDGE_JWT_AUDIENCE: an HS256 token must name it when it is set, as the Go API checks
   * (B.2); a JWKS token may name it instead of `resource`.
   */
  audience?: string | undefined;
  /**
   * The gateway's resource identifier, as its RFC 9728 metadata advertises it. A token from the
   * JWKS must name this gateway in `aud` (RFC 8707; MCP authorization, "Token Handling"): this
   * resource or `audience`.
   */
  resource?: string | undefined;
  /** The claim naming the tenant (TOOLBRIDGE_TENANT_CLAIM). */
  tenantClaim: string;
  /** TOOLBRIDGE_TENANT_ID: this gateway serves only that tenant. */
  pinnedTenant?: string | undefined;
  /** Allowed clock difference for exp/nbf. */
  leewaySeconds?: number;
  /** Verified tokens remembered at most this long (and never past their exp); 0 turns it off. */
  cacheSeconds?: number;
  /** Bound on remembered tokens; the oldest are forgotten first. */
  cacheSize?: number;
  /** Injectable key lookup for the JWKS (tests); defaults to jose's remote set. */
  jwks?: JWTVerifyGetKey;
  now?: () => number;
}

/** Who is calling, once the token has been checked. */
export interface Principal {
  readonly subject: string;
  readonly tenantId: string;
  /**
   * The Authorization value forwarded in per-user mode (A.2): `Bearer <token>` in the one spelling
   * the Go API accepts (B.2), whatever case or spacing of the scheme the client used.
   */
  readonly authorization: string;
  /** Seconds since the epoch, when the token says. */
  readonly expiresAt?: number | undefined;
  /**
   * The OAuth scopes of a token verified with the JWKS (`scope` or `scp`); undefined for
   * credentials that scope settings do not apply to (the Go API's HS256 tokens, TOOLBRIDGE_AUTH=none).
   */
  readonly scopes?: readonly string[] | undefined;
  /** The service key's id when a service calls with its key on this user's behalf. */
  readonly serviceKeyId?: string | undefined;
}

/** After a failed JWKS fetch, how long tokens are refused as unavailable without fetching. */
export const JWKS_FAILURE_COOLDOWN_MS = 5_000;

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

export type ClientVerifier = (authorization: string | undefined) => Promise<Principal>;

/** The key set at TOOLBRIDGE_JWT_JWKS_URL: one per gateway, shared by every verifier. */
export const remoteKeySet = (url: string): JWTVerifyGetKey =>
  createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });

export function createClientVerifier(options: VerifierOptions): ClientVerifier {
  const now = options.now ?? Date.now;
  const secret =
    options.jwtSecret === undefined ? undefined : new TextEncoder().encode(options.jwtSecret);
  const jwks =
    options.jwks ?? (options.jwksUrl === undefined ? undefined : remoteKeySet(options.jwksUrl));
  const claimsOptions = {
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    clockTolerance: options.leewaySeconds ?? 30,
  };
  // HS256 tokens are the Go API's own and keep today's rule; a JWKS token must be for this gateway.
  const hmacAudiences = options.audience === undefined ? [] : [options.audience];
  const oauthAudiences = [options.resource, options.audience].filter((aud) => aud !== undefined);
  const withAudience = (audiences: readonly string[]) =>
    audiences.length === 0 ? claimsOptions : { ...claimsOptions, audience: [...audiences] };

  // While the key set cannot be had, one failed fetch answers every asymmetric token for a
  // cool-down, so an outage of the key server is not multiplied by the gateway's traffic (jose
  // already shares one fetch among concurrent callers, but fetches again after each failure).
  let keysFailedAt = -Infinity;
  const keysUnavailable = (cause: unknown) =>
    new AppError(
      'AUTH_UNAVAILABLE',
      'the signing keys could not be fetched from the JWKS URL; try again shortly',
      { cause },
    );

  /** The claims, and whether the token came from the JWKS (an OAuth access token). */
  const verify = async (token: string): Promise<{ claims: JWTPayload; oauth: boolean }> => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AppError('TOKEN_INVALID', 'the bearer token is not a JWT');
    }
    const currentDate = new Date(now());
    if (secret !== undefined && alg !== undefined && HMAC_ALGORITHMS.includes(alg)) {
      const verified = await jwtVerify(token, secret, {
        ...withAudience(hmacAudiences),
        currentDate,
        algorithms: HMAC_ALGORITHMS,
      }).catch(audienceRefused(hmacAudiences));
      return { claims: verified.payload, oauth: false };
    }
    if (jwks !== undefined && alg !== undefined && ASYMMETRIC_ALGORITHMS.includes(alg)) {
      if (now() - keysFailedAt < JWKS_FAILURE_COOLDOWN_MS) throw keysUnavailable(undefined);
      try {
        const verified = await jwtVerify(token, jwks, {
          ...withAudience(oauthAudiences),
          currentDate,
          algorithms: ASYMMETRIC_ALGORITHMS,
        }).catch(audienceRefused(oauthAudiences));
        return { claims: verified.payload, oauth: true };
      } catch (error) {
        if (!keySourceFailed(error)) throw error;
        keysFailedAt = now();
        throw keysUnavailable(error);
      }
    }
    // The header is the caller's text: it is named only when it is a plausible algorithm name.
    const named = alg !== undefined && /^[A-Za-z0-9+-]{1,16}$/.test(alg) ? alg : undefined;
    throw new AppError(
      'TOKEN_INVALID',
      named === undefined
        ? "the token's algorithm is not accepted"
        : `tokens signed with ${named} are not accepted`,
    );
  };

  // Signature checks were the largest single cost per call (the same bearer arrives on every
  // call of a session), so a verified token is remembered until its exp, or a few minutes.
  const cacheMs = (options.cacheSeconds ?? 300) * 1000;
  const cacheSize = options.cacheSize ?? 10_000;
  const leewayMs = (options.leewaySeconds ?? 30) * 1000;
  const verified = new Map<string, { principal: Principal; until: number }>();
  const remember = (token: string, principal: Principal) => {
    if (cacheMs <= 0 || options.mode === 'none') return;
    const expiry =
      principal.expiresAt === undefined ? Infinity : principal.expiresAt * 1000 + leewayMs;
    verified.set(token, { principal, until: Math.min(now() + cacheMs, expiry) });
    if (verified.size > cacheSize) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
  };

  return async (authorization) => {
    if (authorization === undefined || authorization === '') {
      // Python deployments with a shared TOOLBRIDGE_JWT_TOKEN had clients send no token at all.
      if (options.mode === 'none') return anonymous(options);
      throw new AppError('TOKEN_MISSING', 'a bearer token is required');
    }
    const match = /^Bearer +(\S+)$/i.exec(authorization);
    if (match?.[1] === undefined) {
      throw new AppError('TOKEN_INVALID', "the Authorization header must be 'Bearer <token>'");
    }
    const token = match[1];
    const known = verified.get(token);
    if (known !== undefined) {
      if (now() < known.until) return known.principal;
      verified.delete(token);
    }
    let claims: JWTPayload;
    let oauth = false;
    try {
      if (options.mode === 'none') claims = decodeJwt(token);
      else ({ claims, oauth } = await verify(token));
    } catch (error) {
      throw toAuthError(error);
    }
    if (typeof claims.sub !== 'string' || claims.sub === '') {
      throw new AppError('TOKEN_INVALID', "the token has no 'sub' claim");
    }
    const principal = {
      subject: claims.sub,
      tenantId: resolveTenant(claims, options.tenantClaim, options.pinnedTenant),
      authorization: `Bearer ${token}`,
      expiresAt: claims.exp,
      ...(oauth ? { scopes: scopesOf(claims) } : {}),
    };
    remember(token, principal);
    return principal;
  };
}

/** A caller without a token, accepted only with TOOLBRIDGE_AUTH=none. */
function anonymous(options: VerifierOptions): Principal {
  return {
    subject: 'anonymous',
    tenantId: resolveTenant({}, options.tenantClaim, options.pinnedTenant),
    authorization: '',
  };
}

/**
 * The tenant a token may act for. A tenant claim that is present must be a non-empty string: any
 * other value (an array, a number, an object, "") is refused, never read as "no claim", since
 * a pinned gateway would otherwise sign such a token for its own tenant. With a pinned tenant the
 * claim, when present, must name exactly that tenant; without one the claim decides.
 */
export function resolveTenant(
  claims: Readonly<Record<string, unknown>>,
  tenantClaim: string,
  pinnedTenant: string | undefined,
): string {
  const claimed = claims[tenantClaim];
  if (claimed !== undefined && (typeof claimed !== 'string' || claimed === '')) {
    throw new AppError(
      'TENANT_FORBIDDEN',
      `the token's '${tenantClaim}' claim must be a non-empty string`,
    );
  }
  if (pinnedTenant !== undefined) {
    if (claimed !== undefined && claimed !== pinnedTenant) {
      throw new AppError(
        'TENANT_FORBIDDEN',
        `this gateway serves another tenant than the token's ${tenantClaim}`,
      );
    }
    return pinnedTenant;
  }
  if (claimed === undefined) {
    throw new AppError(
      'TENANT_UNRESOLVED',
      `no tenant: TOOLBRIDGE_TENANT_ID is not set and the token has no '${tenantClaim}' claim`,
    );
  }
  return claimed;
}

/**
 * Whether verifying failed because the key set could not be had (JWKS endpoint down, slow, not
 * 200, not a key set), rather than because of the token. jose reports a failed fetch as the
 * fetch's own error, a timeout as JWKSTimeout, a bad answer as a plain JOSEError or JWKSInvalid.
 */
function keySourceFailed(error: unknown): boolean {
  if (error instanceof AppError) return false;
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  if (error instanceof errors.JOSEError) return error.code === 'ERR_JOSE_GENERIC';
  return true;
}

/**
 * A token for another audience is refused with the audiences this gateway accepts named, so the
 * client (or its operator) sees which `resource` to ask the authorization server for (RFC 8707).
 */
const audienceRefused =
  (accepted: readonly string[]) =>
  (error: unknown): never => {
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
      throw new AppError(
        'TOKEN_INVALID',
        `the token is for another audience: its 'aud' must name ${accepted.join(' or ')}`,
      );
    }
    throw error;
  };

/** Maps jose's failures to our codes, with messages that never contain the token. */
function toAuthError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof errors.JWTExpired)
    return new AppError('TOKEN_EXPIRED', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AppError('TOKEN_INVALID', `the token's '${error.claim}' claim is not accepted`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AppError('TOKEN_INVALID', 'the token algorithm is not accepted');
  }
  if (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWSSignatureVerificationFailed
  ) {
    return new AppError('TOKEN_INVALID', 'the token signature does not verify');
  }
  if (error instanceof errors.JOSEError)
    return new AppError('TOKEN_INVALID', 'the token is malformed or not verifiable', {
      cause: error,
    });
  return new AppError('TOKEN_INVALID', 'the token could not be verified', { cause: error });
}
