/** Secrets made up for one benchmark run, and a client token the gateway accepts with them. */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

export async function benchCredentials(tenant: string) {
  const jwtSecret = randomBytes(32).toString('base64url');
  const tenantSecret = randomBytes(32).toString('base64url');
  const token = await new SignJWT({ tenant_id: tenant })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(jwtSecret));
  return { jwtSecret, tenantSecret, authorization: `Bearer ${token}` };
}
