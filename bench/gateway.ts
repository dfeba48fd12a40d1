/**
 * Gateway benchmark: what the MCP gateway costs on top of calling the ToolBridge API directly.
 * Prints figures next to the targets; asserts nothing. Run: node bench/gateway.ts [options]
 *
 * The embedded API and the gateway (`node src/main.ts`, as deployed) run as separate child
 * processes, so the RSS figures are the gateway's own. The load generator (undici pools,
 * keep-alive) runs here. An idle Node process with the same probe runs beside them: its
 * event-loop delay is the scheduling delay this machine adds to any process. Phases, in one run:
 *   0. warm-up: every path for W s, so no measured phase pays for the first compilation;
 *   1. peak throughput, closed loop of C workers for D s each: MCP tools/call get_note through
 *      the gateway (2025-era session, and 2026-07-28 stateless), and GET /v1/notes/{uid} direct;
 *   2. latency at R = half of each gateway path's own peak, open loop at a fixed rate: the API
 *      straight at R, then that gateway path at R; added latency = gateway − direct at that R;
 *   3. memory per idle session: N 2025-era sessions opened on a fresh, warmed-up gateway; the
 *      JS heap + external memory retained after a full GC, / N (through a SIGUSR2 probe
 *      preloaded with --expose-gc, no inspector), and the RSS delta / N for reference.
 */
import { randomBytes } from 'node:crypto';
import { cpus, release, totalmem, type } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { createTenantSigner } from '../src/tenant-headers/index.ts';
import {
  closedLoop,
  openLoop,
  percentiles,
  type ClosedLoopResult,
  type OpenLoopResult,
  type Send,
} from './lib/load.ts';
import {
  callInSession,
  callStateless,
  endpoint,
  openSession,
  send,
  type Endpoint,
  type McpSession,
} from './lib/mcp.ts';
import { watchGc } from './lib/gc.ts';
import { GC_PREFIX, MEMORY_PREFIX } from './lib/memory-probe.ts';
import { cpuMs, freePort, rssKiB, sampleRss, spawnNode, type Child } from './lib/processes.ts';

const TARGETS = { callsPerSecond: 2_500, addedP50Ms: 0.5, addedP99Ms: 2, sessionKB: 50 };
const TENANT = 'bench';
const ROOT = resolve(import.meta.dirname, '..');

const USAGE = `Usage: node bench/gateway.ts [-d seconds] [-c connections] [-n sessions] [-w seconds]

  -d, --duration <s>           seconds per measured phase (default 8; six phases)
  -c, --connections <n>        closed-loop workers = pool connections per path (default 16)
  -n, --sessions <n>           idle 2025-era sessions for the memory figure (default 2000)
  -w, --warmup <s>             warm-up seconds per path before measuring (default 2)
  --gateway-node-flags=<f>     extra node flags for the gateway, e.g. --gateway-node-flags=--cpu-prof
`;

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        duration: { type: 'string', short: 'd', default: '8' },
        connections: { type: 'string', short: 'c', default: '16' },
        sessions: { type: 'string', short: 'n', default: '2000' },
        warmup: { type: 'string', short: 'w', default: '2' },
        'gateway-node-flags': { type: 'string', default: '' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(64);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string, integer: boolean) => {
    const value = Number(text);
    if (!(value > 0) || (integer && !Number.isInteger(value))) {
      process.stderr.write(
        `--${name} expects a positive ${integer ? 'integer' : 'number'}\n${USAGE}`,
      );
      process.exit(64);
    }
    return value;
  };
  return {
    duration: positive('duration', values.duration, false),
    connections: positive('connections', values.connections, true),
    sessions: positive('sessions', values.sessions, true),
    warmup: positive('warmup', values.warmup, false),
    gatewayNodeFlags: values['gateway-node-flags'].split(' ').filter((flag) => flag !== ''),
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

async function startBackendProcess(jwtSecret: string, tenantSecret: string) {
  // The same child as the k6 runner's: the embedded API with its per-user rate limit lifted.
  const child = spawnNode('backend', [resolve(ROOT, 'load/backend.ts')], {
    LOAD_JWT_SECRET: jwtSecret,
    LOAD_TENANT_SECRET: tenantSecret,
  });
  const line = await child.waitForLine((text) => text.startsWith('{"url"'), 15_000);
  const { url } = z.object({ url: z.string() }).parse(JSON.parse(line));
  return { child, url };
}

interface GatewayOptions {
  backendUrl: string;
  jwtSecret: string;
  tenantSecret: string;
  maxSessions: number;
  nodeFlags: readonly string[];
}

/** `node src/main.ts` in front of the backend, with the memory probe preloaded. */
async function startGatewayProcess(
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
      TOOLBRIDGE_TENANT_ID: TENANT,
      TOOLBRIDGE_HOST: '127.0.0.1',
      TOOLBRIDGE_PORT: String(port),
      TOOLBRIDGE_LOG_LEVEL: 'warn',
      TOOLBRIDGE_MAX_SESSIONS: String(Math.max(10_000, options.maxSessions + 1_000)),
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
async function startCanaryProcess(): Promise<Child> {
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
const GcReport = z.object({
  minor: z.array(z.number()),
  major: z.array(z.number()),
  loop: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
});

/** The gateway's GC pauses (ms) since the previous call; collects nothing. */
async function probeGc(child: Child) {
  const line = child.waitForLine((text) => text.startsWith(GC_PREFIX), 10_000);
  child.process.kill('SIGWINCH');
  return GcReport.parse(JSON.parse((await line).slice(GC_PREFIX.length)));
}

/** Full GC in the gateway, then its process.memoryUsage(). */
async function probeMemory(child: Child) {
  const line = child.waitForLine((text) => text.startsWith(MEMORY_PREFIX), 10_000);
  child.process.kill('SIGUSR2');
  return MemoryReport.parse(JSON.parse((await line).slice(MEMORY_PREFIX.length)));
}

/** CPU ms used by the gateway, the API and this process while `work` runs. */
async function withCpu<T>(gatewayPid: number, backendPid: number, work: () => Promise<T>) {
  const gateway = cpuMs(gatewayPid);
  const backend = cpuMs(backendPid);
  const own = process.cpuUsage();
  const result = await work();
  const ownUsed = process.cpuUsage(own);
  return {
    result,
    cpu: {
      gateway: cpuMs(gatewayPid) - gateway,
      backend: cpuMs(backendPid) - backend,
      generator: (ownUsed.user + ownUsed.system) / 1000,
    },
  };
}

/** One open-loop latency phase and what the probes saw during it. */
interface LatencyPhase {
  path: PathName;
  rate: number;
  result: OpenLoopResult;
  /** The generator's longest GC pause (ms). */
  generatorGcMax: number;
  /** Event-loop delay of the idle canary process. */
  machine: z.infer<typeof GcReport>['loop'];
  /** GC pauses and event-loop delay inside the gateway (gateway paths only). */
  gateway: z.infer<typeof GcReport> | undefined;
}

// ---------------------------------------------------------------------------------------------
// Formatting

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(Math.abs(n) < 10 ? 3 : 1) : '-');
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
const row = (cells: readonly string[], widths: readonly number[]) =>
  `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}\n`;

const PATHS = {
  'gateway-2025': 'gateway, 2025-era session',
  'gateway-2026': 'gateway, 2026-07-28 stateless',
  direct: 'direct REST to the API',
} as const;
type PathName = keyof typeof PATHS;

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { duration, connections, sessions, warmup, gatewayNodeFlags } = options();
  const out = (text: string) => process.stdout.write(text);
  const progress = (text: string) => process.stderr.write(`… ${text}\n`);

  const jwtSecret = randomBytes(32).toString('base64url');
  const tenantSecret = randomBytes(32).toString('base64url');
  const token = await new SignJWT({ tenant_id: TENANT })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(jwtSecret));
  const authorization = `Bearer ${token}`;

  progress('starting the embedded API and the gateway (child processes)');
  const backend = await startBackendProcess(jwtSecret, tenantSecret);
  const gatewayOptions: GatewayOptions = {
    backendUrl: backend.url,
    jwtSecret,
    tenantSecret,
    maxSessions: sessions,
    nodeFlags: gatewayNodeFlags,
  };
  const gateway = await startGatewayProcess(gatewayOptions);
  const canary = await startCanaryProcess();
  const children: Child[] = [canary, backend.child, gateway.child];
  try {
    await sleep(500);
    const rssIdleKiB = rssKiB(gateway.child.pid);

    const gatewayPool = endpoint(gateway.url, connections);
    const directPool = endpoint(backend.url, connections);

    // The note every call reads, created through the gateway (so both paths see the same user).
    const setupSession = await openSession(gatewayPool, authorization);
    const created = await callInSession(gatewayPool, authorization, setupSession, 'create_note', {
      title: 'bench',
      content: 'the note every benchmark call reads',
    });
    const uid = /"uid":"([0-9a-f-]{36})"/.exec(created ?? '')?.[1];
    if (uid === undefined) throw new Error(`create_note failed: ${created ?? '(error)'}`);

    // 2025 era: one session per worker, as C separate clients would have.
    const mcpSessions: McpSession[] = [];
    for (let i = 0; i < connections; i += 1) {
      mcpSessions.push(await openSession(gatewayPool, authorization));
    }
    const sends: Record<PathName, Send> = {
      'gateway-2025': async (slot) =>
        (await callInSession(
          gatewayPool,
          authorization,
          mcpSessions[slot % connections] ?? setupSession,
          'get_note',
          { uid },
        )) !== undefined,
      'gateway-2026': async () =>
        (await callStateless(gatewayPool, authorization, 'get_note', { uid })) !== undefined,
      direct: await directSender(directPool, authorization, tenantSecret, uid),
    };
    for (const [name, send] of Object.entries(sends)) {
      if (!(await send(0))) throw new Error(`a first ${name} call failed`);
    }

    // Every path once before any measurement: the first measured phase would otherwise also
    // pay for compiling code that all three processes share with the later phases.
    for (const name of ['gateway-2025', 'gateway-2026', 'direct'] as const) {
      progress(`warm-up: ${name} (${warmup} s)`);
      await closedLoop(sends[name], connections, warmup);
    }

    type Cpu = Awaited<ReturnType<typeof withCpu>>['cpu'];
    const peaks = new Map<PathName, { result: ClosedLoopResult; cpu: Cpu }>();
    let rssLoadKiB = 0;
    for (const name of ['gateway-2025', 'gateway-2026', 'direct'] as const) {
      progress(`peak throughput: ${name} (${warmup} s warm-up + ${duration} s)`);
      await closedLoop(sends[name], connections, warmup);
      const sampler = sampleRss(gateway.child.pid);
      peaks.set(
        name,
        await withCpu(gateway.child.pid, backend.child.pid, () =>
          closedLoop(sends[name], connections, duration),
        ),
      );
      if (name !== 'direct') rssLoadKiB = Math.max(rssLoadKiB, sampler.stop());
      else sampler.stop();
    }

    const peak2025 = peaks.get('gateway-2025')?.result.perSecond ?? 0;
    const peak2026 = peaks.get('gateway-2026')?.result.perSecond ?? 0;
    // Each gateway path at half of its own peak, the API straight at the same rate just before.
    const rates = {
      'gateway-2025': Math.max(1, Math.floor(peak2025 / 2)),
      'gateway-2026': Math.max(1, Math.floor(peak2026 / 2)),
    };
    const phases: LatencyPhase[] = [];
    // The generator's own pauses delay the answers it times, on every path alike.
    const generatorGc = watchGc();
    for (const gatewayPath of ['gateway-2025', 'gateway-2026'] as const) {
      const rate = rates[gatewayPath];
      for (const name of ['direct', gatewayPath] as const) {
        progress(`latency at ${int(rate)} calls/s: ${name} (${duration} s)`);
        await probeGc(gateway.child); // opens this phase's GC window
        await probeGc(canary);
        generatorGc.take();
        const sampler = sampleRss(gateway.child.pid);
        const result = await openLoop(sends[name], rate, duration, connections);
        const rss = sampler.stop();
        if (name !== 'direct') rssLoadKiB = Math.max(rssLoadKiB, rss);
        const { minor, major } = generatorGc.take();
        const machine = (await probeGc(canary)).loop;
        const inGateway = await probeGc(gateway.child);
        phases.push({
          path: name,
          rate,
          result,
          generatorGcMax: Math.max(0, ...minor, ...major),
          machine,
          gateway: name === 'direct' ? undefined : inGateway,
        });
      }
    }
    await gatewayPool.pool.close();
    await directPool.pool.close();
    const problems = gateway.child.lines.filter((line) =>
      /"level":"(warn|error|fatal)"/.test(line),
    );
    await gateway.child.stop();

    // Memory per idle session, on a fresh gateway so load-phase garbage does not blur it.
    progress(`memory: opening ${int(sessions)} idle 2025-era sessions on a fresh gateway`);
    const fresh = await startGatewayProcess(gatewayOptions);
    children.push(fresh.child);
    const sessionPool = endpoint(fresh.url, 8);
    // Warm-up, so the baseline already has compiled code, lazily built state and a young
    // generation grown to its working size (else its growth would be charged to the sessions).
    for (let i = 0; i < 50; i += 1) await openSession(sessionPool, authorization);
    const warmSession = await openSession(sessionPool, authorization);
    await closedLoop(
      async () =>
        (await callInSession(sessionPool, authorization, warmSession, 'health_check', {})) !==
        undefined,
      8,
      warmup,
    );
    await sleep(200);
    const before = await probeMemory(fresh.child);
    const beforeRssKiB = rssKiB(fresh.child.pid);
    let opening = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (opening < sessions) {
          opening += 1;
          await openSession(sessionPool, authorization);
        }
      }),
    );
    await sessionPool.pool.close();
    await sleep(500);
    const afterRssKiB = rssKiB(fresh.child.pid);
    const after = await probeMemory(fresh.child);
    await fresh.child.stop();

    // -----------------------------------------------------------------------------------------
    const cpu = cpus();
    const args = process.argv.slice(2);
    out('\nToolBridge MCP gateway benchmark\n');
    out(`  command   node bench/gateway.ts${args.length > 0 ? ` ${args.join(' ')}` : ''}\n`);
    out(
      `  machine   ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${type()} ${release()}\n`,
    );
    out(`  node      ${process.version} (gateway, API and load generator)\n`);
    out(
      `  params    C=${connections} workers = connections per path, D=${duration} s per phase (+${warmup} s warm-up), R=${int(rates['gateway-2025'])} / ${int(rates['gateway-2026'])} calls/s (2025 / 2026-07-28), N=${int(sessions)} sessions\n`,
    );
    out(
      `  setup     gateway: node ${[...gatewayNodeFlags, '--expose-gc'].join(' ')} src/main.ts, log level warn, own process;\n`,
    );
    out('            API: embedded ToolBridge API, own process, per-user rate limit lifted;\n');
    out('            load generator, gateway and API share the cores above\n');
    out(
      '  calls     gateway: MCP tools/call get_note {uid}; direct: GET /v1/notes/{uid} with sync session + X-TB-* headers\n',
    );

    const throughputWidths = [30, 9, 7, 13, 13, 13];
    out(`\nPeak throughput (closed loop, ${connections} workers, ${duration} s)\n`);
    out(
      row(
        ['path', 'calls/s', 'failed', 'gateway CPU', 'API CPU', 'generator CPU'],
        throughputWidths,
      ),
    );
    const perCall = (cpuTime: number, calls: number) =>
      Number.isFinite(cpuTime) ? `${int((cpuTime * 1000) / calls)} µs/call` : '-';
    for (const [name, { result, cpu: used }] of peaks) {
      const calls = result.ok + result.failed;
      out(
        row(
          [
            PATHS[name],
            int(result.perSecond),
            int(result.failed),
            name === 'direct' ? '-' : perCall(used.gateway, calls),
            perCall(used.backend, calls),
            perCall(used.generator, calls),
          ],
          throughputWidths,
        ),
      );
    }
    const directPeak = peaks.get('direct')?.result.perSecond ?? Number.NaN;
    out(
      `  gateway / direct: ${(peak2025 / directPeak).toFixed(2)} (2025 session), ${(peak2026 / directPeak).toFixed(2)} (2026-07-28)\n`,
    );

    const latencyWidths = [30, 7, 7, 7, 7, 9, 6, 7, 8, 10, 8];
    out(
      `\nLatency at R = half of each gateway path's own peak, the API straight at the same R just before (open loop, ${duration} s; ms from send to full answer)\n`,
    );
    const latencyHeader = ['path', 'p50', 'p90', 'p99', 'max', 'started/s', 'failed'];
    out(row([...latencyHeader, 'lag p99', 'gen GC', 'idle p99', 'idle max'], latencyWidths));
    for (const { path, result, generatorGcMax, machine } of phases) {
      const { latency } = result;
      out(
        row(
          [
            PATHS[path],
            ms(latency.p50),
            ms(latency.p90),
            ms(latency.p99),
            ms(latency.max),
            int(result.startedPerSecond),
            int(result.failed),
            ms(result.lag.p99),
            ms(generatorGcMax),
            ms(machine.p99),
            ms(machine.max),
          ],
          latencyWidths,
        ),
      );
    }
    /** Gateway minus the direct phase run at the same rate just before it. */
    const added = (name: 'gateway-2025' | 'gateway-2026') => {
      const index = phases.findIndex((phase) => phase.path === name);
      const latency = phases[index]?.result.latency;
      const direct = phases[index - 1]?.result.latency;
      return {
        p50: (latency?.p50 ?? Number.NaN) - (direct?.p50 ?? Number.NaN),
        p99: (latency?.p99 ?? Number.NaN) - (direct?.p99 ?? Number.NaN),
      };
    };
    const added2025 = added('gateway-2025');
    const added2026 = added('gateway-2026');
    out(
      `  added by the gateway: p50 ${ms(added2025.p50)} ms, p99 ${ms(added2025.p99)} ms (2025 session); p50 ${ms(added2026.p50)} ms, p99 ${ms(added2026.p99)} ms (2026-07-28)\n`,
    );
    out(
      "  lag p99: how late the generator started calls against the schedule; gen GC: the generator's longest GC pause;\n",
    );
    out(
      '  idle p99/max: event-loop delay of an idle Node process on the same machine (scheduling delay any process sees)\n',
    );
    out(
      '\nInside the gateway during those latency phases (ms): GC pauses (young = scavenges, old = mark-compact), event-loop delay\n',
    );
    const gcWidths = [30, 6, 7, 7, 7, 4, 8, 9, 9, 9];
    const gcHeader = ['path', 'young', 'p50', 'p99', 'max', 'old', 'old max'];
    out(row([...gcHeader, 'loop p50', 'loop p99', 'loop max'], gcWidths));
    for (const { path, gateway: inGateway } of phases) {
      if (inGateway === undefined) continue;
      const { minor, major, loop } = inGateway;
      const young = percentiles(Float64Array.from(minor));
      const old = percentiles(Float64Array.from(major));
      out(
        row(
          [
            PATHS[path],
            int(minor.length),
            ms(young.p50),
            ms(young.p99),
            ms(young.max),
            int(major.length),
            ms(old.max),
            ms(loop.p50),
            ms(loop.p99),
            ms(loop.max),
          ],
          gcWidths,
        ),
      );
    }

    const perSessionRss = ((afterRssKiB - beforeRssKiB) * 1024) / sessions;
    const perSessionHeap = (after.heapUsed - before.heapUsed) / sessions;
    const perSessionExternal = (after.external - before.external) / sessions;
    const perSession = perSessionHeap + perSessionExternal;
    const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
    out('\nGateway memory\n');
    out(`  RSS idle after start          ${mib(rssIdleKiB)}\n`);
    out(`  RSS peak under load           ${mib(rssLoadKiB)}\n`);
    out(
      `  per idle 2025-era session     ${kB(perSession)} retained after full GC (JS heap ${kB(perSessionHeap)} + external ${kB(perSessionExternal)}; heap used ${(before.heapUsed / 2 ** 20).toFixed(1)} -> ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB, N=${int(sessions)})\n`,
    );
    out(
      `                                RSS delta ${kB(perSessionRss)} (VmRSS ${mib(beforeRssKiB)} -> ${mib(afterRssKiB)}; mostly V8 young-generation sizing, noisy at this scale)\n`,
    );
    out(
      `  gateway warn/error log lines  ${problems.length}${problems.length > 0 ? `; first: ${problems[0]?.slice(0, 300) ?? ''}` : ''}\n`,
    );

    const targetWidths = [44, 12, 4];
    const target = (name: string, shown: string, pass: boolean) =>
      out(row([name, shown, verdict(pass)], targetWidths));
    out('\nTargets (for information; this script asserts nothing)\n');
    target(
      `>= ${int(TARGETS.callsPerSecond)} tool calls/s, 2025 session`,
      int(peak2025),
      peak2025 >= TARGETS.callsPerSecond,
    );
    target(
      `>= ${int(TARGETS.callsPerSecond)} tool calls/s, 2026-07-28`,
      int(peak2026),
      peak2026 >= TARGETS.callsPerSecond,
    );
    target(
      `added p50 <= ${TARGETS.addedP50Ms} ms at R, 2025 session`,
      `${ms(added2025.p50)} ms`,
      added2025.p50 <= TARGETS.addedP50Ms,
    );
    target(
      `added p99 <= ${TARGETS.addedP99Ms} ms at R, 2025 session`,
      `${ms(added2025.p99)} ms`,
      added2025.p99 <= TARGETS.addedP99Ms,
    );
    target(
      `added p50 <= ${TARGETS.addedP50Ms} ms at R, 2026-07-28`,
      `${ms(added2026.p50)} ms`,
      added2026.p50 <= TARGETS.addedP50Ms,
    );
    target(
      `added p99 <= ${TARGETS.addedP99Ms} ms at R, 2026-07-28`,
      `${ms(added2026.p99)} ms`,
      added2026.p99 <= TARGETS.addedP99Ms,
    );
    target(
      `<= ${TARGETS.sessionKB} kB per idle session (retained)`,
      kB(perSession),
      perSession / 1000 <= TARGETS.sessionKB,
    );
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}

/** The direct path: a sync session once, then GETs signed as the gateway signs them. */
async function directSender(
  to: Endpoint,
  authorization: string,
  tenantSecret: string,
  uid: string,
): Promise<Send> {
  const signer = createTenantSigner({ tenantId: TENANT, secret: tenantSecret });
  const opened = await send(to, 'POST', '/v1/sync/sessions', {
    authorization,
    accept: 'application/json',
    ...signer.headers(),
  });
  const session = z.object({ id: z.string(), epoch: z.number() }).parse(JSON.parse(opened.text));
  const headers = {
    authorization,
    accept: 'application/json',
    'x-sync-session': session.id,
    'x-sync-epoch': String(session.epoch),
  };
  return async () => {
    const reply = await send(to, 'GET', `/v1/notes/${uid}`, { ...headers, ...signer.headers() });
    return reply.status === 200 && reply.text.includes(uid);
  };
}

await main();
