/**
 * The processes bench/gateway.ts measures, each started the way it runs in earnest, and the
 * probes it reads them through: the embedded API, the gateway (`node src/main.ts` with the
 * memory/GC probe preloaded), the reference relay, and an idle canary.
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { GC_PREFIX, MEMORY_PREFIX } from './memory-probe.ts';
import { cpuMs, freePort, spawnNode, type Child } from './processes.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Waits for the `{"url": …}` line a child prints once it listens. */
async function announcedUrl(child: Child): Promise<string> {
  const line = await child.waitForLine((text) => text.startsWith('{"url"'), 15_000);
  return z.object({ url: z.string() }).parse(JSON.parse(line)).url;
}

export async function startBackendProcess(jwtSecret: string, tenantSecret: string) {
  // The same child as the k6 runner's: the embedded API with its per-user rate limit lifted.
  const child = spawnNode('backend', [resolve(ROOT, 'load/backend.ts')], {
    LOAD_JWT_SECRET: jwtSecret,
    LOAD_TENANT_SECRET: tenantSecret,
  });
  return { child, url: await announcedUrl(child) };
}

/** The reference relay (relay.ts) in front of `target`, in its own process like the gateway. */
export async function startRelayProcess(target: string) {
  const child = spawnNode('relay', [resolve(ROOT, 'bench/lib/relay-child.ts')], {
    RELAY_TARGET: target,
  });
  return { child, url: await announcedUrl(child) };
}

export interface GatewayOptions {
  readonly backendUrl: string;
  readonly jwtSecret: string;
  readonly tenantSecret: string;
  readonly tenant: string;
  readonly maxSessions: number;
  readonly nodeFlags: readonly string[];
  /** TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL (default: no practical cap, see below). */
  readonly maxInflightPerPrincipal?: number;
  readonly toolTimeoutMs?: number;
  /** TOOLBRIDGE_REDIS_URL: sessions in this Redis instead of in the gateway's memory. */
  readonly redisUrl?: string;
  /** TOOLBRIDGE_BACKEND_AUTH (default forward). */
  readonly backendAuth?: 'forward' | 'mint';
  /** TOOLBRIDGE_SERVICE_KEYS (hashes only) and TOOLBRIDGE_IDENTITY_SECRET: agent runtimes' calls. */
  readonly backChannel?: { readonly serviceKeys: string; readonly identitySecret: string };
}

/** `node src/main.ts` in front of the backend, with the memory probe preloaded. */
export async function startGatewayProcess(
  options: GatewayOptions,
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = spawnNode(
    'gateway',
    [
      ...options.nodeFlags,
      '--expose-gc',
      '--import',
      resolve(ROOT, 'bench/lib/memory-probe.ts'),
      resolve(ROOT, 'src/main.ts'),
    ],
    {
      TOOLBRIDGE_GO_API_BASE_URL: options.backendUrl,
      TOOLBRIDGE_TENANT_HEADER_SECRET: options.tenantSecret,
      TOOLBRIDGE_JWT_SECRET: options.jwtSecret,
      TOOLBRIDGE_TENANT_ID: options.tenant,
      TOOLBRIDGE_HOST: '127.0.0.1',
      TOOLBRIDGE_PORT: String(port),
      TOOLBRIDGE_LOG_LEVEL: 'warn',
      TOOLBRIDGE_MAX_SESSIONS: String(Math.max(10_000, options.maxSessions + 1_000)),
      // The memory phase opens all N sessions as one user.
      TOOLBRIDGE_MAX_SESSIONS_PER_PRINCIPAL: String(Math.max(10_000, options.maxSessions + 1_000)),
      // Every worker is the same user: --connections above the default cap must not be refused.
      TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL: String(options.maxInflightPerPrincipal ?? 100_000),
      ...(options.toolTimeoutMs === undefined
        ? {}
        : { TOOLBRIDGE_TOOL_TIMEOUT_MS: String(options.toolTimeoutMs) }),
      ...(options.redisUrl === undefined ? {} : { TOOLBRIDGE_REDIS_URL: options.redisUrl }),
      ...(options.backendAuth === undefined
        ? {}
        : { TOOLBRIDGE_BACKEND_AUTH: options.backendAuth }),
      ...(options.backChannel === undefined
        ? {}
        : {
            TOOLBRIDGE_SERVICE_KEYS: options.backChannel.serviceKeys,
            TOOLBRIDGE_IDENTITY_SECRET: options.backChannel.identitySecret,
          }),
      PROBE_LOOP_RESOLUTION_MS: '10',
    },
  );
  const url = `http://127.0.0.1:${port}`;
  // At log level warn the gateway prints nothing on start: poll its metadata route instead.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.process.exitCode !== null) {
      throw new Error(`gateway exited:\n${child.lines.join('\n')}`);
    }
    const ready = await fetch(`${url}/.well-known/oauth-protected-resource`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ready) return { child, url };
    if (Date.now() > deadline) throw new Error(`gateway not ready:\n${child.lines.join('\n')}`);
    await sleep(50);
  }
}

/**
 * An idle Node process with the same probe: its event-loop delay is how late this machine runs a
 * process that is ready, so a latency tail shared by every process shows up here too.
 */
export async function startCanaryProcess(): Promise<Child> {
  const child = spawnNode(
    'canary',
    [
      '--import',
      resolve(ROOT, 'bench/lib/memory-probe.ts'),
      '-e',
      "process.stderr.write('ready\\n'); setInterval(() => {}, 60_000);",
    ],
    {},
  );
  await child.waitForLine((text) => text === 'ready', 15_000);
  return child;
}

const MemoryReport = z.object({ rss: z.number(), heapUsed: z.number(), external: z.number() });
export const GcReport = z.object({
  minor: z.array(z.number()),
  major: z.array(z.number()),
  loop: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
});
export type GcReport = z.infer<typeof GcReport>;

/** A probed process's GC pauses (ms) and event-loop delay since the previous call. */
export async function probeGc(child: Child): Promise<GcReport> {
  const line = child.waitForLine((text) => text.startsWith(GC_PREFIX), 10_000);
  child.process.kill('SIGWINCH');
  return GcReport.parse(JSON.parse((await line).slice(GC_PREFIX.length)));
}

/** Full GC in the gateway, then its process.memoryUsage(). */
export async function probeMemory(child: Child) {
  const line = child.waitForLine((text) => text.startsWith(MEMORY_PREFIX), 10_000);
  child.process.kill('SIGUSR2');
  return MemoryReport.parse(JSON.parse((await line).slice(MEMORY_PREFIX.length)));
}

export interface CpuUsed {
  /** The process in the middle (gateway or relay); NaN for the direct path. */
  readonly hop: number;
  /** The session store's server (redis-server); NaN when none was measured. */
  readonly store: number;
  readonly backend: number;
  readonly generator: number;
}

/** The processes whose CPU time a phase reads; hop and store are absent on some paths. */
export interface CpuPids {
  readonly hop?: number | undefined;
  readonly store?: number | undefined;
  readonly backend: number;
}

/** CPU ms used by the hop and the store (if any), the API and this process while `work` runs. */
export async function withCpu<T>(
  pids: CpuPids,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: CpuUsed }> {
  const read = (pid: number | undefined) => (pid === undefined ? Number.NaN : cpuMs(pid));
  const hop = read(pids.hop);
  const store = read(pids.store);
  const backend = cpuMs(pids.backend);
  const own = process.cpuUsage();
  const result = await work();
  const ownUsed = process.cpuUsage(own);
  return {
    result,
    cpu: {
      hop: read(pids.hop) - hop,
      store: read(pids.store) - store,
      backend: cpuMs(pids.backend) - backend,
      generator: (ownUsed.user + ownUsed.system) / 1000,
    },
  };
}
