import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { createBackendHandler } from '../../src/backend/index.ts';
import { startGatewayProcess } from './gateway-process.ts';
import { startBalancer } from './haproxy.ts';
import { listen } from './loopback.ts';
import { STACK_JWT_SECRET } from './stack.ts';

/**
 * Issue 17's deployment on loopback: the embedded API, `count` gateway processes (`node
 * src/main.ts`) with one configuration and one Redis, and HAProxy in front balancing each request
 * round-robin. Everything stops after the test.
 */
export interface Replica {
  readonly child: ChildProcess;
  /** The replica's own origin, past the balancer. */
  readonly url: string;
  readonly lines: string[];
}

export interface ReplicaSet {
  readonly replicas: readonly Replica[];
  /** The balancer's origin. */
  readonly balancer: string;
  /** Takes replica `index` out of the balancer's rotation (see Balancer.cordon). */
  readonly cordon: (index: number) => Promise<void>;
}

export interface ReplicaSetOptions {
  readonly redisPort: number;
  readonly redisPassword: string;
  readonly count?: number;
  /**
   * How long the API takes to answer each request (default 0): with a real API's latency, calls
   * overlap, so a replica told to stop has calls in flight.
   */
  readonly apiDelayMs?: number;
  /** More TOOLBRIDGE_* variables, the same for every replica. */
  readonly env?: Readonly<Record<string, string>>;
}

const TENANT_SECRET = 'replica-set-tenant-secret';
/** TOOLBRIDGE_TENANT_ID: the tenant a token's `tenant_id` claim must name, if it has one. */
export const REPLICA_TENANT = 'replica-set-tenant';

export async function startReplicaSet(options: ReplicaSetOptions): Promise<ReplicaSet> {
  const api = createBackendHandler({
    jwtSecret: STACK_JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
    // The API's per-user limit (Go's 10/s) is not what these tests are about.
    rateLimit: { windowSeconds: 1, maxRequests: 1e9, burst: 1e9 },
  });
  const delay = options.apiDelayMs ?? 0;
  const backendUrl = await listen(
    // As startBackend serves it: connections kept open long, like the Go API's.
    createServer({ keepAliveTimeout: 120_000, requestTimeout: 30_000 }, (req, res) => {
      if (delay === 0) api(req, res);
      else setTimeout(api, delay, req, res);
    }),
  );
  const env = {
    TOOLBRIDGE_GO_API_BASE_URL: backendUrl,
    TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
    TOOLBRIDGE_JWT_SECRET: STACK_JWT_SECRET,
    TOOLBRIDGE_TENANT_ID: REPLICA_TENANT,
    TOOLBRIDGE_HOST: '127.0.0.1',
    TOOLBRIDGE_PORT: '0',
    TOOLBRIDGE_REDIS_URL: `redis://127.0.0.1:${options.redisPort}`,
    TOOLBRIDGE_REDIS_PASSWORD: options.redisPassword,
    ...options.env,
  };
  const count = options.count ?? 3;
  const replicas = await Promise.all(Array.from({ length: count }, () => startGatewayProcess(env)));
  const { url: origin, cordon } = await startBalancer(replicas.map(({ url }) => url));
  return { replicas, balancer: origin, cordon };
}

/** True while the process has neither exited nor been killed. */
export const running = ({ child }: Replica): boolean =>
  child.exitCode === null && child.signalCode === null;
