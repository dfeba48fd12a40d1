import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { startBackend, type RunningBackend } from './backend/index.ts';

/**
 * With no TOOLBRIDGE_GO_API_BASE_URL, the gateway runs in front of the embedded ToolBridge API on
 * loopback, with secrets generated for this run, so `npm start` works out of the box.
 */
export interface DevBackend {
  readonly backend: RunningBackend;
  readonly jwtSecret: string;
  /** Whether `jwtSecret` was made up for this run (else it is TOOLBRIDGE_JWT_SECRET). */
  readonly generatedSecret: boolean;
  readonly tenantHeaderSecret: string;
}

export async function startDevBackend(jwtSecret?: string): Promise<DevBackend> {
  const secret = jwtSecret ?? randomBytes(32).toString('base64url');
  const tenantHeaderSecret = randomBytes(32).toString('base64url');
  const backend = await startBackend({
    port: 0,
    host: '127.0.0.1',
    jwtSecret: secret,
    tenantHeaderSecret,
  });
  return {
    backend,
    jwtSecret: secret,
    generatedSecret: jwtSecret === undefined,
    tenantHeaderSecret,
  };
}

/** A 24-hour HS256 token for trying the gateway (MCP Inspector, curl). */
export function devToken(jwtSecret: string, claims: Record<string, string>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('24h')
    .sign(new TextEncoder().encode(jwtSecret));
}
