import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, jwtVerify } from 'jose';

export interface AuthOptions {
  /** The Go API's JWT_HS256_SECRET: verifies every HS256/384/512 token. */
  jwtSecret: string;
  /** ENV=dev: X-Debug-Sub names the subject when no bearer token was sent. */
  devMode: boolean;
  now: () => number;
}

/** The authenticated caller: the JWT subject and the internal user id it maps to (app_user.id). */
export interface Principal {
  readonly subject: string;
  readonly userId: string;
}

/**
 * auth.Middleware (CONTRACT.md B.2). Only HMAC algorithms are accepted: RS* tokens need an
 * Auth0 JWKS the embedded API does not have, and anything else (alg none included) is refused.
 * exp and nbf are checked when present, with no leeway; `sub` must be a non-empty string.
 */
export function createAuthenticator({ jwtSecret, devMode, now }: AuthOptions) {
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
      return typeof payload.sub === 'string' && payload.sub !== ''
        ? principalOf(payload.sub)
        : undefined;
    } catch (error) {
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
  };
}
