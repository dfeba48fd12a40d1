/**
 * The text bench/gateway.ts prints: setup, peak throughput, latency (pooled over rounds, with the
 * reference relay beside the gateway), GC inside the gateway, memory, and the issue's targets.
 */
import { cpus, release, totalmem, type } from 'node:os';
import type { CpuUsed, GcReport } from './children.ts';
import { percentiles, type ClosedLoopResult, type Percentiles } from './load.ts';
import type { SessionMemory } from './memory-phase.ts';

const TARGETS = { callsPerSecond: 2_500, addedP50Ms: 0.5, addedP99Ms: 2, sessionKB: 50 };

const PATHS = {
  'gateway-2025': 'gateway, 2025-era session',
  'gateway-2026': 'gateway, 2026-07-28 stateless',
  relay: 'direct REST via a bare relay',
  direct: 'direct REST to the API',
} as const;
export type PathName = keyof typeof PATHS;
export type GatewayPath = 'gateway-2025' | 'gateway-2026';
const GATEWAY_PATHS = ['gateway-2025', 'gateway-2026'] as const;
export const isGatewayPath = (name: PathName): name is GatewayPath =>
  name === 'gateway-2025' || name === 'gateway-2026';
const ERA: Record<GatewayPath, string> = {
  'gateway-2025': '2025 session',
  'gateway-2026': '2026-07-28',
};

/** One path at one rate, its rounds pooled. */
export interface LatencyPhase {
  readonly path: PathName;
  readonly ok: number;
  readonly failed: number;
  readonly startedPerSecond: number;
  /** Over every round's calls together. */
  readonly latency: Percentiles;
  readonly lag: Percentiles;
  /** p99 of each round on its own, in the order run. */
  readonly roundP99: readonly number[];
  /** The load generator's longest GC pause (ms). */
  readonly generatorGcMax: number;
  /** The idle canary's event-loop delay: worst round's p99, and the maximum. */
  readonly machine: { readonly p99: number; readonly max: number };
  /** GC and event-loop delay inside the gateway (gateway paths only; loop p99 = worst round). */
  readonly gateway: GcReport | undefined;
}

export interface Results {
  readonly args: readonly string[];
  readonly connections: number;
  readonly duration: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly sessions: number;
  readonly gatewayNodeFlags: readonly string[];
  readonly peaks: ReadonlyMap<PathName, { result: ClosedLoopResult; cpu: CpuUsed }>;
  readonly rates: Readonly<Record<GatewayPath, number>>;
  /** Per gateway path: direct, relay and that gateway path, all at its rate R. */
  readonly latency: Readonly<Record<GatewayPath, readonly LatencyPhase[]>>;
  /** Per gateway path: the direct path's peak calls/s again, right after its latency rounds. */
  readonly directAfter: Readonly<Record<GatewayPath, number>>;
  readonly memory: SessionMemory & { readonly rssIdleKiB: number; readonly rssLoadKiB: number };
  readonly problems: readonly string[];
}

export const int = (n: number) =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(Math.abs(n) < 10 ? 3 : 1) : '-');
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
const row = (cells: readonly string[], widths: readonly number[]) =>
  `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}\n`;
const median = (values: readonly number[]) => percentiles(Float64Array.from(values)).p50;

/** `minus` subtracted from `of`, at p50 and p99, within one gateway path's phases. */
function difference(phases: readonly LatencyPhase[], of: PathName, minus: PathName) {
  const a = phases.find((phase) => phase.path === of);
  const b = phases.find((phase) => phase.path === minus);
  return {
    p50: (a?.latency.p50 ?? Number.NaN) - (b?.latency.p50 ?? Number.NaN),
    p99: (a?.latency.p99 ?? Number.NaN) - (b?.latency.p99 ?? Number.NaN),
  };
}

/** The gateway's added latency at R: its phase minus the direct phase run in the same rounds. */
const added = (results: Results, path: GatewayPath) =>
  difference(results.latency[path], path, 'direct');

function header(results: Results, out: (text: string) => void): void {
  const cpu = cpus();
  out('\nToolBridge MCP gateway benchmark\n');
  out(
    `  command   node bench/gateway.ts${results.args.length > 0 ? ` ${results.args.join(' ')}` : ''}\n`,
  );
  out(
    `  machine   ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${type()} ${release()}\n`,
  );
  out(`  node      ${process.version} (gateway, relay, API and load generator)\n`);
  out(
    `  params    C=${results.connections} workers = connections per path, D=${results.duration} s per phase (+${results.warmup} s warm-up), K=${results.rounds} rounds, R=${int(results.rates['gateway-2025'])} / ${int(results.rates['gateway-2026'])} calls/s (2025 / 2026-07-28), N=${int(results.sessions)} sessions\n`,
  );
  out(
    `  setup     gateway: node ${[...results.gatewayNodeFlags, '--expose-gc'].join(' ')} src/main.ts, log level warn, own process;\n`,
  );
  out(
    '            relay: bench/lib/relay.ts, node:http + undici, no auth/MCP/signing, own process;\n',
  );
  out('            API: embedded ToolBridge API, own process, per-user rate limit lifted;\n');
  out('            load generator, gateway, relay and API share the cores above\n');
  out(
    '  calls     gateway: MCP tools/call get_note {uid}; direct and relay: GET /v1/notes/{uid} with sync session + X-TB-* headers\n',
  );
}

function throughput(results: Results, out: (text: string) => void): void {
  const widths = [30, 9, 7, 13, 13, 13];
  out(`\nPeak throughput (closed loop, ${results.connections} workers, ${results.duration} s)\n`);
  out(row(['path', 'calls/s', 'failed', 'hop CPU', 'API CPU', 'generator CPU'], widths));
  const perCall = (cpuTime: number, calls: number) =>
    Number.isFinite(cpuTime) ? `${int((cpuTime * 1000) / calls)} µs/call` : '-';
  for (const [name, { result, cpu }] of results.peaks) {
    const calls = result.ok + result.failed;
    out(
      row(
        [
          PATHS[name],
          int(result.perSecond),
          int(result.failed),
          perCall(cpu.hop, calls),
          perCall(cpu.backend, calls),
          perCall(cpu.generator, calls),
        ],
        widths,
      ),
    );
  }
  const peak = (name: PathName) => results.peaks.get(name)?.result.perSecond ?? Number.NaN;
  const ratio = (name: PathName) => (peak(name) / peak('direct')).toFixed(2);
  out(
    `  / direct: gateway ${ratio('gateway-2025')} (2025 session), ${ratio('gateway-2026')} (2026-07-28); bare relay ${ratio('relay')}\n`,
  );
  out('  hop CPU: the gateway or relay process in the middle of the path\n');
}

function latency(results: Results, out: (text: string) => void): void {
  const widths = [30, 7, 7, 7, 7, 13, 9, 6, 7, 7, 8, 8];
  out(
    `\nLatency at R = half of each gateway path's own peak (open loop; ${results.rounds} rounds of direct, relay and gateway for ${ms(results.duration / results.rounds)} s each, order rotated; percentiles over all rounds' calls; ms from send to full answer)\n`,
  );
  out(
    row(
      [
        'path',
        'p50',
        'p90',
        'p99',
        'max',
        'round p99s',
        'started/s',
        'failed',
        'lag p99',
        'gen GC',
        'idle p99',
        'idle max',
      ],
      widths,
    ),
  );
  for (const path of GATEWAY_PATHS) {
    out(`  at R = ${int(results.rates[path])} calls/s\n`);
    for (const phase of results.latency[path]) {
      const low = Math.min(...phase.roundP99);
      const high = Math.max(...phase.roundP99);
      out(
        row(
          [
            PATHS[phase.path],
            ms(phase.latency.p50),
            ms(phase.latency.p90),
            ms(phase.latency.p99),
            ms(phase.latency.max),
            `${ms(low)}–${ms(high)}`,
            int(phase.startedPerSecond),
            int(phase.failed),
            ms(phase.lag.p99),
            ms(phase.generatorGcMax),
            ms(phase.machine.p99),
            ms(phase.machine.max),
          ],
          widths,
        ),
      );
    }
    const directPeak = results.peaks.get('direct')?.result.perSecond ?? Number.NaN;
    const after = results.directAfter[path];
    out(
      `  machine check right after these rounds: direct REST peak ${int(after)} calls/s, ${(after / directPeak).toFixed(2)} of the peak phase's ${int(directPeak)}\n`,
    );
  }
  for (const path of GATEWAY_PATHS) {
    const phases = results.latency[path];
    const gateway = added(results, path);
    const relay = difference(phases, 'relay', 'direct');
    const own = difference(phases, path, 'relay');
    const rounds = phases.find((phase) => phase.path === path)?.roundP99 ?? [];
    const directRounds = phases.find((phase) => phase.path === 'direct')?.roundP99 ?? [];
    const roundAdded = median(rounds.map((p99, i) => p99 - (directRounds[i] ?? Number.NaN)));
    out(
      `  ${ERA[path]}: gateway − direct p50 ${ms(gateway.p50)}, p99 ${ms(gateway.p99)} (median round ${ms(roundAdded)}); bare relay − direct p50 ${ms(relay.p50)}, p99 ${ms(relay.p99)}; gateway − relay p50 ${ms(own.p50)}, p99 ${ms(own.p99)}\n`,
    );
  }
  out(
    "  round p99s: lowest–highest p99 of a single round; lag p99: how late the generator started calls against the schedule;\n  gen GC: the generator's longest GC pause; idle p99/max: how late an idle Node process's 1 ms timer ran, on the same machine\n",
  );
}

function gatewayGc(results: Results, out: (text: string) => void): void {
  out(
    '\nInside the gateway during its latency phases (ms): GC pauses (young = scavenges, old = mark-compact), event-loop delay (how late a 10 ms timer ran)\n',
  );
  const widths = [30, 6, 7, 7, 7, 4, 8, 9, 9];
  out(
    row(['path', 'young', 'p50', 'p99', 'max', 'old', 'old max', 'loop p99', 'loop max'], widths),
  );
  for (const path of GATEWAY_PATHS) {
    const inGateway = results.latency[path].find((phase) => phase.path === path)?.gateway;
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
          ms(loop.p99),
          ms(loop.max),
        ],
        widths,
      ),
    );
  }
}

function memory(results: Results, out: (text: string) => void): number {
  const m = results.memory;
  const perSessionRss = ((m.afterRssKiB - m.beforeRssKiB) * 1024) / results.sessions;
  const perSessionHeap = (m.heapAfter - m.heapBefore) / results.sessions;
  const perSessionExternal = (m.externalAfter - m.externalBefore) / results.sessions;
  const perSession = perSessionHeap + perSessionExternal;
  out('\nGateway memory\n');
  out(`  RSS idle after start          ${mib(m.rssIdleKiB)}\n`);
  out(`  RSS peak under load           ${mib(m.rssLoadKiB)}\n`);
  out(
    `  per idle 2025-era session     ${kB(perSession)} retained after full GC (JS heap ${kB(perSessionHeap)} + external ${kB(perSessionExternal)}; heap used ${(m.heapBefore / 2 ** 20).toFixed(1)} -> ${(m.heapAfter / 2 ** 20).toFixed(1)} MiB, N=${int(results.sessions)})\n`,
  );
  out(
    `                                RSS delta ${kB(perSessionRss)} (VmRSS ${mib(m.beforeRssKiB)} -> ${mib(m.afterRssKiB)}; mostly V8 young-generation sizing, noisy at this scale)\n`,
  );
  const { problems } = results;
  out(
    `  gateway warn/error log lines  ${problems.length}${problems.length > 0 ? `; first: ${problems[0]?.slice(0, 300) ?? ''}` : ''}\n`,
  );
  return perSession;
}

function targets(results: Results, perSession: number, out: (text: string) => void): void {
  const widths = [44, 12, 4];
  const target = (name: string, shown: string, pass: boolean) => {
    out(row([name, shown, pass ? 'PASS' : 'FAIL'], widths));
  };
  out('\nTargets (for information; this script asserts nothing)\n');
  for (const path of GATEWAY_PATHS) {
    const peak = results.peaks.get(path)?.result.perSecond ?? Number.NaN;
    target(
      `>= ${int(TARGETS.callsPerSecond)} tool calls/s, ${ERA[path]}`,
      int(peak),
      peak >= TARGETS.callsPerSecond,
    );
  }
  for (const path of GATEWAY_PATHS) {
    const { p50, p99 } = added(results, path);
    target(
      `added p50 <= ${TARGETS.addedP50Ms} ms at R, ${ERA[path]}`,
      `${ms(p50)} ms`,
      p50 <= TARGETS.addedP50Ms,
    );
    target(
      `added p99 <= ${TARGETS.addedP99Ms} ms at R, ${ERA[path]}`,
      `${ms(p99)} ms`,
      p99 <= TARGETS.addedP99Ms,
    );
  }
  target(
    `<= ${TARGETS.sessionKB} kB per idle session (retained)`,
    kB(perSession),
    perSession / 1000 <= TARGETS.sessionKB,
  );
}

export function printReport(results: Results, out: (text: string) => void): void {
  header(results, out);
  throughput(results, out);
  latency(results, out);
  gatewayGc(results, out);
  const perSession = memory(results, out);
  targets(results, perSession, out);
}
