import { SignJWT, type JWTPayload } from 'jose';
import { startBackend } from '../../src/backend/index.ts';
import { startGateway, type GatewaySettings } from '../../src/gateway.ts';
import type { Logger } from '../../src/log.ts';
import { gatewayLogger } from './log-capture.ts';
import { onCleanup } from './loopback.ts';
import { registerSecret } from './secret-ledger.ts';

export const STACK_JWT_SECRET = 'stack-jwt-secret-for-tests';
const TENANT_SECRET = 'stack-tenant-secret-for-tests';
registerSecret(STACK_JWT_SECRET, TENANT_SECRET);

/**
 * The embedded API and a gateway in front of it, both on loopback port 0 and closed after the
 * test. `overrides` change gateway settings (auth mode, shared token, …); `logger`, when the test
 * reads the gateway's log (capturingLogger), replaces the ledger's.
 */
export async function startStack(overrides: Partial<GatewaySettings> = {}, logger?: Logger) {
  const backend = await startBackend({
    port: 0,
    jwtSecret: STACK_JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
  });
  onCleanup(() => backend.close());
  const settings: GatewaySettings = {
    goApiBaseUrl: backend.url,
    tenantHeaderSecret: TENANT_SECRET,
    auth: { mode: 'jwt', jwtSecret: STACK_JWT_SECRET, tenantClaim: 'tenant_id' },
    pinnedTenant: 'stack-tenant',
    host: '127.0.0.1',
    port: 0,
    allowedOrigins: [],
    toolTimeoutMs: 5000,
    sessionIdleSeconds: 60,
    maxSessions: 10,
    ...overrides,
  };
  const gateway = await startGateway(
    settings,
    logger ?? gatewayLogger('gateway log (startStack)', settings),
  );
  onCleanup(() => gateway.close());
  return { gateway, backend };
}

/** An HS256 token the stack's API and gateway both accept. */
export function stackToken(claims: JWTPayload): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(STACK_JWT_SECRET));
}
