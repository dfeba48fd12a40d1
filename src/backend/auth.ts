import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, jwtVerify, type JWTPayload } from 'jose';

export interface AuthOptions {
  /** The Go API's JWT_HS256_SECRET: verifies every HS256/384/512 token. */
  jwtSecret: string;
  /** ENV=dev: X-Debug-Sub names the subject when no bearer token was sent. */
  devMode: boolean;
  /**
   * The issuer every token must name: `https://<AUTH0_DOMAIN>/` (CONTRACT.md B.2) or JWT_ISSUER
   * (E.3). Unset, neither `iss` nor `aud` is checked.
   */
  issuer?: string | undefined;
  /** AUTH0_AUDIENCE or JWT_AUDIENCE: `aud` must contain it. Checked only with an issuer. */
  audience?: string | undefined;
  /**
   * Whether backend tokens skip the issuer and audience checks (E.3, the default). `false` is the
   * API before backend tokens existed (a42eec7): the checks apply to every token.
   */
  backendTokens?: boolean | undefined;
  now: () => number;
}

/** The authenticated caller: the JWT subject and the internal user id it maps to (app_user.id). */
export interface Principal {
  readonly subject: string;
  readonly userId: string;
}

/** The issuer of tokens the Go API mints itself, and of legacy backend tokens (E.3, E.4). */
export const BACKEND_ISSUER = 'toolbridge-api';

/**
 * E.3: a backend token says so with `token_type: "backend"`; older ones carry only the API's own
 * issuer. Either way they were minted for the API (by itself or by a gateway holding its
 * secret), so the identity provider's issuer and audience do not apply to them.
 */
export function isBackendToken(claims: JWTPayload): boolean {
  const type = claims['token_type'];
  return type === 'backend' || (type === undefined && claims.iss === BACKEND_ISSUER);
}

const audiencesOf = (aud: unknown): unknown[] =>
  Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];

/**
 * auth.Middleware (CONTRACT.md B.2). Only HMAC algorithms are accepted: RS* tokens need an
 * Auth0 JWKS the embedded API does not have, and anything else (alg none included) is refused.
 * exp and nbf are checked when present, with no leeway; `sub` must be a non-empty string. With an
 * issuer configured, `iss` must equal it and `aud` (string or array) must contain the audience,
 * HS256 tokens included, except backend tokens (E.3).
 */
export function createAuthenticator(options: AuthOptions) {
  const { jwtSecret, devMode, now, issuer, audience } = options;
  if (audience !== undefined && issuer === undefined) {
    // Go refuses to start with AUTH0_AUDIENCE alone (B.2).
    throw new Error('an audience needs an issuer');
  }
  const exempt = options.backendTokens ?? true;
  const key = new TextEncoder().encode(jwtSecret);
  const userIds = new Map<string, string>();
  const principalOf = (subject: string): Principal => {
    let userId = userIds.get(subject);
    if (userId === undefined) {
      userId = randomUUID();
      userIds.set(subject, userId);
    }
    return { subject, userId };
  };
  const claimsAccepted = (claims: JWTPayload): boolean => {
    if (issuer === undefined || (exempt && isBackendToken(claims))) return true;
    if (claims.iss !== issuer) return false;
    return audience === undefined || audiencesOf(claims.aud).includes(audience);
  };

  return async (req: IncomingMessage): Promise<Principal | undefined> => {
    const header = req.headers.authorization ?? '';
    const token = header.length > 7 && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (token === undefined) {
      const debugSubject = req.headers['x-debug-sub'];
      return devMode && typeof debugSubject === 'string' && debugSubject !== ''
        ? principalOf(debugSubject)
        : undefined;
    }
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256', 'HS384', 'HS512'],
        currentDate: new Date(now()),
        clockTolerance: 0,
      });
      if (!claimsAccepted(payload)) return undefined;
      return typeof payload.sub === 'string' && payload.sub !== ''
        ? principalOf(payload.sub)
        : undefined;
    } catch (error) {
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
  };
}
