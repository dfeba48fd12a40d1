/**
 * Phases run in rounds (bench/gateway.ts): the paths compared take turns, one measured round
 * each; each round's result per path, and the rounds of one path pooled into a single phase for
 * the report.
 */
import { performance } from 'node:perf_hooks';
import { probeGc, withCpu, type CpuPids, type CpuUsed, type GcReport } from './children.ts';
import type { GcPauses } from './gc.ts';
import { closedLoop, openLoop, percentiles, type OpenLoopResult, type Send } from './load.ts';
import { sampleRss, type Child } from './processes.ts';
import type { LatencyPhase, PathName } from './results.ts';

/** Calls run on a path right before each of its measured rounds, unmeasured. */
export const PRIME_SECONDS = 0.5;

/** One round's run of one path, and what the probes saw during it. */
export interface Round {
  readonly result: OpenLoopResult;
  /** CPU ms the processes on the path used during the round, and the round's wall seconds. */
  readonly cpu: CpuUsed;
  readonly seconds: number;
  readonly generatorGcMax: number;
  readonly machine: GcReport['loop'];
  readonly gateway: GcReport | undefined;
}

const concat = (parts: readonly Float64Array[]) => {
  const all = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
};

/** One path's rounds as a single phase: samples pooled, worst round for the delay figures. */
export function pooled<N extends string = PathName>(
  path: N,
  rounds: readonly Round[],
): LatencyPhase<N> {
  const results = rounds.map((round) => round.result);
  const worst = (pick: (round: Round) => number) => Math.max(0, ...rounds.map(pick));
  const inGateway = rounds.flatMap((round) => (round.gateway === undefined ? [] : [round.gateway]));
  return {
    path,
    ok: results.reduce((sum, result) => sum + result.ok, 0),
    failed: results.reduce((sum, result) => sum + result.failed, 0),
    startedPerSecond:
      results.reduce((sum, result) => sum + result.startedPerSecond, 0) / results.length,
    latency: percentiles(concat(results.map((result) => result.samples.latency))),
    lag: percentiles(concat(results.map((result) => result.samples.lag))),
    roundP99: results.map((result) => result.latency.p99),
    cpu: {
      hop: rounds.reduce((sum, round) => sum + round.cpu.hop, 0),
      store: rounds.reduce((sum, round) => sum + round.cpu.store, 0),
      backend: rounds.reduce((sum, round) => sum + round.cpu.backend, 0),
      generator: rounds.reduce((sum, round) => sum + round.cpu.generator, 0),
    },
    seconds: rounds.reduce((sum, round) => sum + round.seconds, 0),
    generatorGcMax: worst((round) => round.generatorGcMax),
    machine: { p99: worst((round) => round.machine.p99), max: worst((round) => round.machine.max) },
    gateway:
      inGateway.length > 0
        ? {
            minor: inGateway.flatMap((report) => report.minor),
            major: inGateway.flatMap((report) => report.major),
            loop: {
              p50: percentiles(Float64Array.from(inGateway.map((report) => report.loop.p50))).p50,
              p99: Math.max(0, ...inGateway.map((report) => report.loop.p99)),
              max: Math.max(0, ...inGateway.map((report) => report.loop.max)),
            },
          }
        : undefined,
  };
}

/**
 * Runs `order`'s paths in `rounds` rounds, one after another within a round, each round starting
 * one place further along, so each path takes each place in turn and a slow spell of the machine
 * falls on every path alike. Returns each path's results in the order run.
 */
export async function alternate<N extends string, R>(
  order: readonly N[],
  rounds: number,
  runRound: (name: N) => Promise<R>,
  announce: (round: number, turn: readonly N[]) => void,
): Promise<Map<N, R[]>> {
  const byPath = new Map<N, R[]>(order.map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    const shift = round % order.length;
    const turn = [...order.slice(shift), ...order.slice(0, shift)];
    announce(round, turn);
    for (const name of turn) byPath.get(name)?.push(await runRound(name));
  }
  return byPath;
}

/** Latency rounds run as `alternate` runs them; each path's rounds pooled, in `order`. */
export async function interleaved<N extends string = PathName>(
  order: readonly N[],
  rounds: number,
  runRound: (name: N) => Promise<Round>,
  announce: (round: number, turn: readonly N[]) => void,
): Promise<LatencyPhase<N>[]> {
  const byPath = await alternate(order, rounds, runRound, announce);
  return order.map((name) => pooled(name, byPath.get(name) ?? []));
}

export interface RoundSetup {
  readonly send: Send;
  /** Calls started per second, and for how long. */
  readonly rate: number;
  readonly seconds: number;
  /** Senders the calls rotate over (closed-loop workers for the priming calls). */
  readonly connections: number;
  readonly pids: CpuPids;
  /** A gateway whose GC window the round opens and closes, and whose RSS it samples. */
  readonly gateway: Child;
  /** Whether `gateway` is on this round's path (else its GC report is left out). */
  readonly gatewayOnPath: boolean;
  /** The idle process whose event-loop delay is the machine's. */
  readonly canary: Child;
  /** The load generator's own GC pauses. */
  readonly generatorGc: { take(): GcPauses };
}

/** One latency round of one path: primed, then measured with every probe around it. */
export async function measureRound(
  setup: RoundSetup,
): Promise<{ round: Round; gatewayRssKiB: number }> {
  const { send, rate, seconds, connections, gateway, canary, generatorGc } = setup;
  // Unmeasured: the path sat idle while the others ran, long enough for keep-alive to close
  // its connections; reopening them (and re-running code that went cold) is not latency.
  await closedLoop(send, connections, PRIME_SECONDS);
  // The generator times every answer, so its own mark-compact in a round (25–38 ms seen)
  // delays them all: its old generation is emptied before each round, on every path alike.
  globalThis.gc?.();
  await probeGc(gateway); // opens this round's GC window
  await probeGc(canary);
  generatorGc.take();
  const sampler = sampleRss(gateway.pid);
  const startedAt = performance.now();
  const { result, cpu } = await withCpu(setup.pids, () =>
    openLoop(send, rate, seconds, connections),
  );
  const wall = (performance.now() - startedAt) / 1000;
  const gatewayRssKiB = sampler.stop();
  const { minor, major } = generatorGc.take();
  const machine = (await probeGc(canary)).loop;
  const inGateway = await probeGc(gateway);
  return {
    round: {
      result,
      cpu,
      seconds: wall,
      generatorGcMax: Math.max(0, ...minor, ...major),
      machine,
      gateway: setup.gatewayOnPath ? inGateway : undefined,
    },
    gatewayRssKiB,
  };
}
