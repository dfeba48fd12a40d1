import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { createBackendHandler } from '../../src/backend/index.ts';
import { MCP_HEADERS, rawRequest } from '../e2e/stack.ts';
import { startGatewayProcess } from './gateway-process.ts';
import { startBalancer } from './haproxy.ts';
import { listen } from './loopback.ts';
import { STACK_JWT_SECRET } from './stack.ts';

export interface Replica {
  readonly child: ChildProcess;
  /** The replica's own origin, past the balancer. */
  readonly url: string;
  readonly lines: string[];
}

export interface ReplicaSetOptions {
  readonly redis: { readonly port: number; readonly password?: string };
  readonly count?: number;
  /**
   * How long the API takes to answer each request (default 0): with a real API's latency, calls
   * overlap, so a replica told to stop has calls in flight.
   */
  readonly apiDelayMs?: number;
  /** More environment, the same for every replica (limits, say). */
  readonly env?: Readonly<Record<string, string>>;
  /** The balancer polls each replica's /readyz this often (default: no checks). */
  readonly readinessCheckMs?: number;
}

const TENANT_SECRET = 'replicas-tenant-secret';
/** TOOLBRIDGE_TENANT_ID: the tenant a token's `tenant_id` claim must name, if it has one. */
export const REPLICA_TENANT = 'replicas-tenant';

/**
 * Issue 17 as Fly runs it: `count` gateway processes (`node src/main.ts`) with one configuration
 * and one Redis, in front of one embedded API, behind a round-robin HAProxy that sends each
 * request wherever it likes. Tokens come from stackToken (./stack.ts); everything stops after the
 * test.
 */
export async function startReplicaSet({
  redis,
  count = 3,
  apiDelayMs = 0,
  env = {},
  readinessCheckMs,
}: ReplicaSetOptions) {
  const api = createBackendHandler({
    jwtSecret: STACK_JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
    // The API's per-user limit (Go's 10/s) is not what these tests are about.
    rateLimit: { windowSeconds: 1, maxRequests: 1e9, burst: 1e9 },
  });
  const backendUrl = await listen(
    // As startBackend serves it: connections kept open long, like the Go API's.
    createServer({ keepAliveTimeout: 120_000, requestTimeout: 30_000 }, (req, res) => {
      if (apiDelayMs === 0) api(req, res);
      else setTimeout(api, apiDelayMs, req, res);
    }),
  );
  const shared = {
    TOOLBRIDGE_GO_API_BASE_URL: backendUrl,
    TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
    TOOLBRIDGE_JWT_SECRET: STACK_JWT_SECRET,
    TOOLBRIDGE_TENANT_ID: REPLICA_TENANT,
    TOOLBRIDGE_HOST: '127.0.0.1',
    TOOLBRIDGE_PORT: '0',
    TOOLBRIDGE_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
    ...(redis.password === undefined ? {} : { TOOLBRIDGE_REDIS_PASSWORD: redis.password }),
    ...env,
  };
  const replicas: readonly Replica[] = await Promise.all(
    Array.from({ length: count }, () => startGatewayProcess(shared)),
  );
  const balancer = await startBalancer(
    replicas.map(({ url }) => url),
    readinessCheckMs === undefined ? {} : { readinessCheckMs },
  );
  return { replicas, balancer };
}

export type ReplicaSet = Awaited<ReturnType<typeof startReplicaSet>>;

/** True while the process has neither exited nor been killed. */
export const running = ({ child }: Replica): boolean =>
  child.exitCode === null && child.signalCode === null;

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
