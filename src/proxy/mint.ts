import { createHmac } from 'node:crypto';
import { AppError } from '../errors.ts';
import { createLru } from '../lru.ts';

/**
 * TOOLBRIDGE_BACKEND_AUTH=mint: the gateway signs a short-lived HS256 token for each verified
 * subject and tenant with the Go API's JWT_HS256_SECRET, so the caller's own token (say, an
 * identity provider's RS256 token the Go API cannot check) never reaches the API. Tokens are
 * cached until shortly before they expire: the steady state is one map lookup per call, no
 * signing.
 */

export interface MintOptions {
  /** The Go API's JWT_HS256_SECRET (TOOLBRIDGE_BACKEND_JWT_SECRET); its UTF-8 bytes are the key. */
  readonly secret: string;
  /** `iss`, for a Go API with Auth0 settings (CONTRACT.md B.2): `https://<AUTH0_DOMAIN>/`. */
  readonly issuer?: string | undefined;
  /** `aud`, for a Go API with Auth0 settings: AUTH0_AUDIENCE. Omitted when unset. */
  readonly audience?: string | undefined;
  /** The claim that carries the tenant (TOOLBRIDGE_TENANT_CLAIM). */
  readonly tenantClaim?: string | undefined;
  /** Seconds a token is valid: 1 to 300 (the default). */
  readonly lifetimeSeconds?: number | undefined;
}

export interface Minter {
  /** `Bearer <token>` for this subject and tenant: the cached token while it is fresh. */
  authorization(subject: string, tenantId: string): string;
  /** Drops the cached token (the API refused it), so the next call signs a new one. */
  forget(subject: string, tenantId: string): void;
}

export const MAX_MINTED_LIFETIME_SECONDS = 300;
/** Without TOOLBRIDGE_BACKEND_JWT_ISSUER: says who signed it, and the Go API does not check it. */
export const DEFAULT_MINTED_ISSUER = 'toolbridge-mcp';
/**
 * A cached token is replaced this long before its `exp` (or at half its life, if shorter): the
 * call that uses it still has time to reach the API, whose clock may also run a little ahead.
 */
const RENEW_BEFORE_MS = 60_000;
const MAX_CACHED_TOKENS = 10_000;

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** Cache key: a JSON array, so no subject and tenant pair can be spelt like another. */
export const subjectKey = (tenantId: string, subject: string): string =>
  JSON.stringify([tenantId, subject]);

interface Minted {
  readonly authorization: string;
  readonly renewAtMs: number;
}

export function createMinter(
  options: MintOptions,
  now: () => number,
  maxEntries = MAX_CACHED_TOKENS,
): Minter {
  const lifetime = options.lifetimeSeconds ?? MAX_MINTED_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_MINTED_LIFETIME_SECONDS) {
    throw new AppError(
      'CONFIG_INVALID',
      `Minted backend tokens live 1 to ${MAX_MINTED_LIFETIME_SECONDS} seconds`,
    );
  }
  if (options.secret === '') {
    throw new AppError('CONFIG_INVALID', 'The backend token secret must not be empty');
  }
  const renewBeforeMs = Math.min(RENEW_BEFORE_MS, (lifetime * 1000) / 2);
  const issuer = options.issuer ?? DEFAULT_MINTED_ISSUER;
  const tenantClaim = options.tenantClaim ?? 'tenant_id';
  const cache = createLru<Minted>(maxEntries);

  const sign = (subject: string, tenantId: string): Minted => {
    const issuedAt = Math.floor(now() / 1000);
    const expiresAt = issuedAt + lifetime;
    // No nbf: the Go API checks it without leeway, so a gateway clock a second ahead of the
    // API's would make fresh tokens fail. token_type marks a backend token for the newer API
    // (CONTRACT.md E.3), which then skips its identity provider's iss/aud checks.
    const claims: Record<string, unknown> = {
      iss: issuer,
      sub: subject,
      ...(options.audience === undefined ? {} : { aud: options.audience }),
      iat: issuedAt,
      exp: expiresAt,
      token_type: 'backend',
    };
    if (!Object.hasOwn(claims, tenantClaim)) claims[tenantClaim] = tenantId;
    const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = createHmac('sha256', options.secret).update(body).digest('base64url');
    return {
      authorization: `Bearer ${body}.${signature}`,
      renewAtMs: expiresAt * 1000 - renewBeforeMs,
    };
  };

  return {
    authorization(subject, tenantId) {
      const key = subjectKey(tenantId, subject);
      const cached = cache.get(key);
      if (cached !== undefined && now() < cached.renewAtMs) return cached.authorization;
      const minted = sign(subject, tenantId);
      cache.set(key, minted);
      return minted.authorization;
    },
    forget(subject, tenantId) {
      cache.delete(subjectKey(tenantId, subject));
    },
  };
}
