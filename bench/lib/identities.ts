/**
 * The agent runtime the auth-modes phase plays (docs/agent-runtimes.md): one service key, made
 * as `toolbridge-mcp keys new` makes it, and identity tokens for many users, each signed once
 * and reused until it nears its expiry, as a platform minting per few minutes would. So the
 * gateway's verification caches see what they would in steady state: the same few tokens again
 * and again, a fresh one per user every few minutes. Nothing here is ever printed.
 */
import { randomBytes } from 'node:crypto';
import { newServiceKey } from '../../src/auth/service-keys.ts';
import { hs256Token } from './credentials.ts';

/** exp − iat of each identity token: the gateway's default TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS. */
export const IDENTITY_TTL_SECONDS = 300;
/** A token is replaced this long before its exp, so no call carries one about to expire. */
export const RENEW_BEFORE_SECONDS = 60;

/** A service key, the gateway's settings that accept it, and the secret identities are signed with. */
export function benchRuntime(tenant: string) {
  const { key, entry } = newServiceKey({
    id: 'bench-runtime',
    scopes: ['tools:call'],
    tenants: [tenant],
  });
  return {
    authorization: `Bearer ${key}`,
    /** TOOLBRIDGE_SERVICE_KEYS: the key's SHA-256 only. */
    serviceKeys: JSON.stringify([entry]),
    /** TOOLBRIDGE_IDENTITY_SECRET. */
    identitySecret: randomBytes(32).toString('base64url'),
  };
}

export interface IdentityToken {
  readonly token: string;
  /** Seconds since the epoch. */
  readonly exp: number;
}

/** Signs `user`'s identity, issued at `iat` (seconds). */
export type SignIdentity = (user: string, iat: number) => Promise<IdentityToken>;

/** HS256 identities with `sub`, the tenant claim, `iat` and `exp` = iat + IDENTITY_TTL_SECONDS. */
export function hs256Identities(secret: string, tenantClaim: string, tenant: string): SignIdentity {
  return async (user, iat) => {
    const exp = iat + IDENTITY_TTL_SECONDS;
    const token = await hs256Token(secret, { sub: user, tenant, tenantClaim }, iat, exp);
    return { token, exp };
  };
}

/** Whether a token expiring at `exp` is due for replacement at `nowSeconds`. */
export const dueForRenewal = (exp: number, nowSeconds: number): boolean =>
  nowSeconds >= exp - RENEW_BEFORE_SECONDS;

export interface IdentityPool {
  readonly users: readonly string[];
  /** Signs every user's first token. */
  prepare(): Promise<void>;
  /**
   * User `index`'s current token. One due for renewal is still returned (it has a minute left)
   * while its successor is signed in the background, so no call waits for a signature.
   */
  tokenOf(index: number): string;
}

export function identityPool(
  users: readonly string[],
  sign: SignIdentity,
  now: () => number = Date.now,
): IdentityPool {
  const tokens: (IdentityToken | undefined)[] = users.map(() => undefined);
  const renewing = new Set<number>();
  const seconds = () => Math.floor(now() / 1000);
  const renew = async (index: number) => {
    const user = users[index];
    if (user === undefined || renewing.has(index)) return;
    renewing.add(index);
    try {
      tokens[index] = await sign(user, seconds());
    } finally {
      renewing.delete(index);
    }
  };
  return {
    users,
    async prepare() {
      await Promise.all(users.map((_, index) => renew(index)));
    },
    tokenOf(index) {
      const current = tokens[index];
      if (current === undefined) throw new Error(`no identity for user ${index}: call prepare()`);
      if (dueForRenewal(current.exp, seconds()) && !renewing.has(index)) {
        // A failed signature leaves the current token; the next call tries again.
        renew(index).catch(() => undefined);
      }
      return current.token;
    },
  };
}
