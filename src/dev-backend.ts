import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { startBackend, type RunningBackend } from './backend/index.ts';
import { loadDevSecret, type DevSecret } from './dev-secrets.ts';

/**
 * With no TOOLBRIDGE_GO_API_BASE_URL, the gateway runs in front of the embedded ToolBridge API on
 * loopback, so `npm start` works out of the box. Its JWT secret is TOOLBRIDGE_JWT_SECRET or one
 * kept in the working directory across restarts (src/dev-secrets.ts); the tenant header secret
 * only ever travels between the two, so a new one each run does.
 */
export interface DevBackend {
  readonly backend: RunningBackend;
  readonly jwtSecret: string;
  /** The generated secret's file; undefined when `jwtSecret` is TOOLBRIDGE_JWT_SECRET. */
  readonly generated: DevSecret | undefined;
  readonly tenantHeaderSecret: string;
}

/** The tenant the gateway pins in front of the embedded API, and the dev token's subject. */
export const DEV_TENANT = 'dev-tenant';
export const DEV_SUBJECT = 'dev-user';

export async function startDevBackend(
  configuredSecret: string | undefined,
  stateDir: string,
): Promise<DevBackend> {
  let jwtSecret = configuredSecret;
  let generated: DevSecret | undefined;
  if (jwtSecret === undefined) {
    generated = loadDevSecret(stateDir);
    jwtSecret = generated.secret;
  }
  const tenantHeaderSecret = randomBytes(32).toString('base64url');
  const backend = await startBackend({
    port: 0,
    host: '127.0.0.1',
    jwtSecret,
    tenantHeaderSecret,
  });
  return { backend, jwtSecret, generated, tenantHeaderSecret };
}

/** An HS256 token valid for `ttlSeconds` (a day by default), for trying the gateway. */
export function mintToken(
  jwtSecret: string,
  claims: Record<string, string>,
  ttlSeconds = 86_400,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(jwtSecret));
}
