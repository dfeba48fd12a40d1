import { startBackend } from '../../src/backend/index.ts';
import { MCP_HEADERS, rawRequest } from '../e2e/stack.ts';
import { startGatewayProcess } from './gateway-process.ts';
import { startBalancer } from './haproxy.ts';
import { onCleanup } from './loopback.ts';
import { STACK_JWT_SECRET } from './stack.ts';

export interface ReplicaSetOptions {
  readonly redis: { readonly port: number; readonly password?: string };
  readonly count?: number;
  /** More environment, the same for every replica (limits, say). */
  readonly env?: Readonly<Record<string, string>>;
}

const TENANT_SECRET = 'replicas-tenant-secret';

/**
 * Issue 17 as Fly runs it: `count` gateway processes (`node src/main.ts`) with one configuration
 * and one Redis, in front of one embedded API, behind a round-robin HAProxy that sends each
 * request wherever it likes. Tokens come from stackToken (./stack.ts); everything stops after the
 * test.
 */
export async function startReplicaSet({ redis, count = 3, env = {} }: ReplicaSetOptions) {
  const backend = await startBackend({
    port: 0,
    jwtSecret: STACK_JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
  });
  onCleanup(() => backend.close());
  const shared = {
    TOOLBRIDGE_GO_API_BASE_URL: backend.url,
    TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
    TOOLBRIDGE_JWT_SECRET: STACK_JWT_SECRET,
    TOOLBRIDGE_TENANT_ID: 'replicas-tenant',
    TOOLBRIDGE_HOST: '127.0.0.1',
    TOOLBRIDGE_PORT: '0',
    TOOLBRIDGE_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
    ...(redis.password === undefined ? {} : { TOOLBRIDGE_REDIS_PASSWORD: redis.password }),
    ...env,
  };
  const replicas = await Promise.all(
    Array.from({ length: count }, () => startGatewayProcess(shared)),
  );
  const balancer = await startBalancer(replicas.map(({ url }) => url));
  return { backend, replicas, balancer };
}

/** A tools/list for `session`, sent to one replica directly, past the balancer. */
export function listAt(url: string, token: string, session: string) {
  return rawRequest(`${url}/mcp`, {
    method: 'POST',
    headers: {
      ...MCP_HEADERS,
      Authorization: `Bearer ${token}`,
      'MCP-Protocol-Version': '2025-06-18',
      'Mcp-Session-Id': session,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
  });
}
