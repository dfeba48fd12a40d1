/**
 * The latency half of the benchmark's report: each gateway path's rounds beside the direct path
 * and the bare relay at the same rate, the differences between them, and GC inside the gateway.
 */
import { cpus } from 'node:os';
import { percentiles } from './load.ts';
import { int, median, ms, row } from './format.ts';
import {
  ERA,
  GATEWAY_PATHS,
  PATHS,
  type GatewayPath,
  type LatencyPhase,
  type PathName,
  type Results,
} from './results.ts';

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
export const added = (results: Results, path: GatewayPath) =>
  difference(results.latency[path], path, 'direct');

/** CPU per call in the hop, and how busy the path kept the machine's cores, over the rounds. */
function load<N extends string>(phase: LatencyPhase<N>): { hop: string; busy: string } {
  const { hop, store, backend, generator } = phase.cpu;
  const calls = phase.ok + phase.failed;
  const counted = (ms: number) => (Number.isFinite(ms) ? ms : 0);
  const used = counted(hop) + counted(store) + backend + generator;
  return {
    hop: Number.isFinite(hop) ? int((hop * 1000) / calls) : '-',
    busy: `${int((100 * used) / (phase.seconds * 1000 * cpus().length))}%`,
  };
}

/** A latency row's figures after its label, in the columns of `LATENCY_COLUMNS`. */
export function phaseCells<N extends string>(phase: LatencyPhase<N>): string[] {
  const { hop, busy } = load(phase);
  return [
    ms(phase.latency.p50),
    ms(phase.latency.p90),
    ms(phase.latency.p99),
    ms(phase.latency.max),
    `${ms(Math.min(...phase.roundP99))}–${ms(Math.max(...phase.roundP99))}`,
    int(phase.startedPerSecond),
    int(phase.failed),
    ms(phase.lag.p99),
    ms(phase.generatorGcMax),
    ms(phase.machine.p99),
    ms(phase.machine.max),
    hop,
    busy,
  ];
}

/** Column titles and widths of a latency row, label first. */
export const LATENCY_COLUMNS = [
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
  'hop µs',
  'busy',
] as const;
export const LATENCY_WIDTHS = [30, 7, 7, 7, 7, 13, 9, 6, 7, 7, 8, 8, 7, 5] as const;

const phaseRow = (phase: LatencyPhase): string =>
  row([PATHS[phase.path], ...phaseCells(phase)], LATENCY_WIDTHS);

/** The floor: the bare relay's added latency at half of its own peak. */
export const floorAdded = (results: Results) => difference(results.floor.phases, 'relay', 'direct');

export function latency(results: Results, out: (text: string) => void): void {
  out(
    `\nLatency at R = half of each gateway path's own peak (open loop; ${results.rounds} rounds of direct, relay and gateway for ${ms(results.duration / results.rounds)} s each, order rotated; percentiles over all rounds' calls; ms from send to full answer)\n`,
  );
  out(row(LATENCY_COLUMNS, LATENCY_WIDTHS));
  for (const path of GATEWAY_PATHS) {
    out(`  at R = ${int(results.rates[path])} calls/s\n`);
    for (const phase of results.latency[path]) out(phaseRow(phase));
    const directPeak = results.peaks.get('direct')?.result.perSecond ?? Number.NaN;
    const after = results.directAfter[path];
    out(
      `  machine check right after these rounds: direct REST peak ${int(after)} calls/s, ${(after / directPeak).toFixed(2)} of the peak phase's ${int(directPeak)}\n`,
    );
  }
  out(
    `  floor: at ${int(results.floor.rate)} calls/s, half of the bare relay's own peak (where a gateway doing no work of its own would be measured)\n`,
  );
  for (const phase of results.floor.phases) out(phaseRow(phase));
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
  const floor = floorAdded(results);
  out(`  floor: bare relay − direct p50 ${ms(floor.p50)}, p99 ${ms(floor.p99)}\n`);
  out(
    "  round p99s: lowest–highest p99 of a single round; lag p99: how late the generator started calls against the schedule;\n  gen GC: the generator's longest GC pause; idle p99/max: how late an idle Node process's 1 ms timer ran, on the same machine;\n  hop µs: CPU per call of the gateway or relay in these rounds; busy: CPU the generator, hop and API used, of all cores\n",
  );
}

export function gatewayGc(results: Results, out: (text: string) => void): void {
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
