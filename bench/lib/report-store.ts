/**
 * The store comparison's part of the report (store-phase.ts): Redis mode against memory mode,
 * peak throughput and CPU per call, then latency at one rate, each with what Redis adds.
 */
import { int, ms, row } from './format.ts';
import { LATENCY_COLUMNS, LATENCY_WIDTHS, phaseCells } from './report-latency.ts';
import { perCall } from './compare.ts';
import { STORE_MODES, STORES, storeDifferences, type Pair } from './store-compare.ts';
import type { StoreResults } from './store-phase.ts';

const micros = (value: number) => (Number.isFinite(value) ? `${int(value)} µs` : '-');
const times = (value: number) => (Number.isFinite(value) ? `×${value.toFixed(2)}` : '-');
const signed = (value: number, unit: (n: number) => string) =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${unit(Math.abs(value))}` : '-';

/** "+12 µs (×1.05)": what Redis mode adds to a CPU figure, and the ratio. */
const addedMicros = (pair: Pair) => `${signed(pair.added, micros)} (${times(pair.ratio)})`;
const addedMs = (pair: Pair) => `${signed(pair.added, ms)} ms (${times(pair.ratio)})`;

function peaks(results: StoreResults, out: (text: string) => void): void {
  const widths = [30, 9, 15, 7, 12, 12, 12, 14];
  out(
    `  peak      closed loop, ${results.connections} workers, ${results.rounds} alternating rounds of ${ms(results.duration / results.rounds)} s per mode; CPU per call\n`,
  );
  out(
    row(
      ['path', 'calls/s', 'rounds', 'failed', 'gateway', 'redis-server', 'API', 'generator'],
      widths,
    ),
  );
  for (const mode of STORE_MODES) {
    const { result, cpu } = results.peaks[mode];
    const calls = result.ok + result.failed;
    const spread = results.peakRounds[mode];
    out(
      row(
        [
          STORES[mode],
          int(result.perSecond),
          `${int(Math.min(...spread))}–${int(Math.max(...spread))}`,
          int(result.failed),
          micros(perCall(cpu.hop, calls)),
          micros(perCall(cpu.store, calls)),
          micros(perCall(cpu.backend, calls)),
          micros(perCall(cpu.generator, calls)),
        ],
        widths,
      ),
    );
  }
  out(
    '  rounds: lowest–highest calls/s of a single round; redis-server in the memory rows: the idle server, not charged to those calls\n',
  );
}

function latency(results: StoreResults, out: (text: string) => void): void {
  out(
    `  latency   open loop at R = ${int(results.rate)} calls/s (${results.fraction} × the lower peak) for both, ${results.rounds} alternating rounds of ${ms(results.duration / results.rounds)} s per mode; ms from send to full answer\n`,
  );
  const widths = [...LATENCY_WIDTHS, 9];
  out(row([...LATENCY_COLUMNS, 'redis µs'], widths));
  for (const mode of STORE_MODES) {
    const phase = results.latency[mode];
    const redisMicros = perCall(phase.cpu.store, phase.ok + phase.failed);
    out(
      row(
        [STORES[mode], ...phaseCells(phase), Number.isFinite(redisMicros) ? int(redisMicros) : '-'],
        widths,
      ),
    );
  }
  out(
    "  hop µs: the gateway's CPU per call in these rounds; redis µs: redis-server's; busy: generator, gateway, redis-server and API, of all cores\n",
  );
}

export function printStoreReport(results: StoreResults, out: (text: string) => void): void {
  const memory = { peak: results.peaks.memory, latency: results.latency.memory };
  const redis = { peak: results.peaks.redis, latency: results.latency.redis };
  const added = storeDifferences(memory, redis);
  out('\nSession store: Redis against memory (issue #17), 2025-era sessions\n');
  out(
    `  setup     two gateways up at once, alike but for TOOLBRIDGE_REDIS_URL: redis-server ${results.redisVersion} on loopback, own process, nothing persisted;\n`,
  );
  out(
    `            ${results.connections} open sessions per gateway (one per worker), each call touching its session in the store; ${results.warmup} s warm-up each\n`,
  );
  out('  calls     MCP tools/call get_note {uid} with Mcp-Session-Id\n');
  peaks(results, out);
  latency(results, out);
  out('\n  What Redis mode adds (Redis − memory, and Redis / memory)\n');
  const widths = [44, 26];
  const line = (what: string, shown: string) => {
    out(row([what, shown], widths));
  };
  line('peak calls/s', times(added.peak.ratio));
  line('CPU per call at peak, gateway', addedMicros(added.peakGatewayMicros));
  line('CPU per call at peak, gateway + redis-server', addedMicros(added.peakServingMicros));
  line('CPU per call at R, gateway', addedMicros(added.rateGatewayMicros));
  line('CPU per call at R, gateway + redis-server', addedMicros(added.rateServingMicros));
  line('p50 at R', addedMs(added.p50));
  line('p99 at R', addedMs(added.p99));
  line(
    'p99 at R, median of the rounds’ differences',
    `${signed(added.medianRoundAddedP99, ms)} ms`,
  );
  const { problems } = results;
  out(
    `  gateway warn/error log lines  ${problems.length}${problems.length > 0 ? `; first: ${problems[0]?.slice(0, 300) ?? ''}` : ''}\n`,
  );
}
