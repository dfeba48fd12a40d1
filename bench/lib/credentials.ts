/** Secrets made up for one benchmark run, and the HS256 tokens the gateway accepts with them. */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

/** An HS256 token for `sub` at `tenant`, issued at `iat` and expiring at `exp` (seconds). */
export function hs256Token(
  secret: string,
  claims: { sub: string; tenant: string; tenantClaim?: string },
  iat: number,
  exp: number,
): Promise<string> {
  return new SignJWT({ [claims.tenantClaim ?? 'tenant_id']: claims.tenant })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
}

/** Seconds since the epoch. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export async function benchCredentials(tenant: string) {
  const jwtSecret = randomBytes(32).toString('base64url');
  const tenantSecret = randomBytes(32).toString('base64url');
  const iat = nowSeconds();
  const token = await hs256Token(jwtSecret, { sub: 'bench-user', tenant }, iat, iat + 7_200);
  return { jwtSecret, tenantSecret, authorization: `Bearer ${token}` };
}
