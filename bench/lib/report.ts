/**
 * The text bench/gateway.ts prints: setup, peak throughput, latency (pooled over rounds, with the
 * reference relay beside the gateway), GC inside the gateway, memory, and the issue's targets.
 */
import { cpus, release, totalmem, type } from 'node:os';
import { int, kB, mib, ms, row } from './format.ts';
import { MCP_REMOTE_CLIENT } from './mcp.ts';
import { perSession } from './memory-phase.ts';
import { added, floorAdded, gatewayGc, latency } from './report-latency.ts';
import { ERA, GATEWAY_PATHS, PATHS, type PathName, type Results } from './results.ts';

/** Issue #4's targets; issue #17 lowered memory per idle session from 50 to 10 kB. */
const TARGETS = { callsPerSecond: 2_500, addedP50Ms: 0.5, addedP99Ms: 2, sessionKB: 10 };

/** The lines every run prints first: the command, the machine and Node. */
export function intro(
  args: readonly string[],
  generatorGcForced: boolean,
  out: (text: string) => void,
): void {
  const cpu = cpus();
  out('\nToolBridge MCP gateway benchmark\n');
  out(
    `  command   node ${generatorGcForced ? '--expose-gc ' : ''}bench/gateway.ts${args.length > 0 ? ` ${args.join(' ')}` : ''}\n`,
  );
  out(
    `  machine   ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${type()} ${release()}\n`,
  );
  out(`  node      ${process.version} (every child process and the load generator)\n`);
}

function header(results: Results, out: (text: string) => void): void {
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
  out(
    `            load generator: this process, ${results.generatorGcForced ? 'a full GC of its own before each latency round' : 'run without --expose-gc, so no GC of its own before the latency rounds'};\n`,
  );
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

function memory(results: Results, out: (text: string) => void): number {
  const m = results.memory;
  const bytes = perSession(m, results.sessions);
  out('\nGateway memory\n');
  out(`  RSS idle after start          ${mib(m.rssIdleKiB)}\n`);
  out(`  RSS peak under load           ${mib(m.rssLoadKiB)}\n`);
  out(
    `  per idle 2025-era session     ${kB(bytes.retained)} retained after full GC (JS heap ${kB(bytes.heap)} + external ${kB(bytes.external)}; heap used ${(m.heapBefore / 2 ** 20).toFixed(1)} -> ${(m.heapAfter / 2 ** 20).toFixed(1)} MiB, N=${int(results.sessions)}; ${MCP_REMOTE_CLIENT.clientInfo.name})\n`,
  );
  out(
    `                                RSS delta ${kB(bytes.rss)} (VmRSS ${mib(m.beforeRssKiB)} -> ${mib(m.afterRssKiB)}; mostly V8 young-generation sizing, noisy at this scale)\n`,
  );
  const { problems } = results;
  out(
    `  gateway warn/error log lines  ${problems.length}${problems.length > 0 ? `; first: ${problems[0]?.slice(0, 300) ?? ''}` : ''}\n`,
  );
  return bytes.retained;
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
  const floor = floorAdded(results);
  out('  the same latency targets for the bare relay at half of its own peak (the floor):\n');
  target(
    `  added p50 <= ${TARGETS.addedP50Ms} ms`,
    `${ms(floor.p50)} ms`,
    floor.p50 <= TARGETS.addedP50Ms,
  );
  target(
    `  added p99 <= ${TARGETS.addedP99Ms} ms`,
    `${ms(floor.p99)} ms`,
    floor.p99 <= TARGETS.addedP99Ms,
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
