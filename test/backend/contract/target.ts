/**
 * Which API the contract suite talks to.
 *
 * - `CONTRACT_API_URL` set: a running API (e.g. the real Go ToolBridge API). `CONTRACT_JWT_SECRET`
 *   is then required (the API's `JWT_HS256_SECRET`). `CONTRACT_TENANT_SECRET` is the API's
 *   `TENANT_HEADER_SECRET`, if it has one; without it the tenant-header group is not registered,
 *   because a wrong secret cannot be told apart from a missing one black-box. `CONTRACT_TENANT_ID`
 *   defaults to `test-tenant-123`. `CONTRACT_JWT_ISSUER` / `CONTRACT_JWT_AUDIENCE` are put into
 *   every minted token, for an API started with `AUTH0_DOMAIN`/`AUTH0_AUDIENCE` (CONTRACT.md B.2).
 * - Otherwise: the embedded backend (`src/backend`) is started in-process on an ephemeral loopback
 *   port, with fresh random secrets, once per test file.
 *
 * Data is per JWT `sub`, so every test uses its own random user (see client.ts); the suite is
 * therefore safe to run against a shared API and each test starts with a full rate-limit bucket.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'undici';
import { afterAll, beforeAll } from 'vitest';
import { startBackend, type RunningBackend } from '../../../src/backend/index.ts';

export interface Target {
  readonly url: string;
  readonly jwtSecret: string;
  /** The tenant header secret, or undefined when the API does not check X-TB-* headers. */
  readonly tenantSecret: string | undefined;
  readonly tenantId: string;
  /** Extra claims for every minted token (iss/aud for an Auth0-configured API). */
  readonly extraClaims: Readonly<Record<string, string>>;
  /** Connection pool for this target; closed after the file. */
  readonly dispatcher: Agent;
}

const env = (name: string): string | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
};

const remoteUrl = env('CONTRACT_API_URL');

/** True when the suite runs against the in-process embedded backend. */
export const embedded = remoteUrl === undefined;

/** True when the target verifies X-TB-* headers and we know its secret. */
export const tenantHeadersConfigured = embedded || env('CONTRACT_TENANT_SECRET') !== undefined;

const randomSecret = (label: string): string => `${label}-${randomBytes(24).toString('hex')}`;

function extraClaims(): Record<string, string> {
  const claims: Record<string, string> = {};
  const iss = env('CONTRACT_JWT_ISSUER');
  const aud = env('CONTRACT_JWT_AUDIENCE');
  if (iss !== undefined) claims['iss'] = iss;
  if (aud !== undefined) claims['aud'] = aud;
  return claims;
}

export interface TargetOptions {
  /** Embedded only: start the backend with `devMode: true` (Go `ENV=dev`). */
  readonly devMode?: boolean;
  /** Embedded only: start the backend without a tenant header secret (B.1 step 2 disabled). */
  readonly withoutTenantSecret?: boolean;
}

/**
 * Registers beforeAll/afterAll hooks for the current file (or describe block) and returns an
 * accessor for the target, valid inside tests.
 */
export function useTarget(options: TargetOptions = {}): () => Target {
  let target: Target | undefined;
  let backend: RunningBackend | undefined;

  beforeAll(async () => {
    const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
    if (
      remoteUrl !== undefined &&
      options.devMode !== true &&
      options.withoutTenantSecret !== true
    ) {
      const jwtSecret = env('CONTRACT_JWT_SECRET');
      if (jwtSecret === undefined) {
        throw new Error('CONTRACT_JWT_SECRET is required when CONTRACT_API_URL is set');
      }
      target = {
        url: remoteUrl.replace(/\/+$/, ''),
        jwtSecret,
        tenantSecret: env('CONTRACT_TENANT_SECRET'),
        tenantId: env('CONTRACT_TENANT_ID') ?? 'test-tenant-123',
        extraClaims: extraClaims(),
        dispatcher,
      };
      return;
    }
    if (remoteUrl !== undefined) {
      throw new Error('dev-mode / no-tenant-secret targets exist only in embedded mode');
    }
    const jwtSecret = randomSecret('jwt');
    const tenantSecret = options.withoutTenantSecret === true ? undefined : randomSecret('tenant');
    backend = await startBackend({
      port: 0,
      jwtSecret,
      ...(tenantSecret === undefined ? {} : { tenantHeaderSecret: tenantSecret }),
      ...(options.devMode === true ? { devMode: true } : {}),
    });
    const { hostname } = new URL(backend.url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
      throw new Error(`embedded backend must listen on loopback, got ${backend.url}`);
    }
    target = {
      url: backend.url.replace(/\/+$/, ''),
      jwtSecret,
      tenantSecret,
      tenantId: 'test-tenant-123',
      extraClaims: {},
      dispatcher,
    };
  });

  afterAll(async () => {
    await target?.dispatcher.close();
    await backend?.close();
  });

  return () => {
    if (target === undefined) throw new Error('target used outside a test');
    return target;
  };
}
