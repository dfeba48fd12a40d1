/**
 * Latency phases run in rounds (bench/gateway.ts): each round's result per path, and the rounds
 * of one path pooled into a single phase for the report.
 */
import type { CpuUsed, GcReport } from './children.ts';
import { percentiles, type OpenLoopResult } from './load.ts';
import type { LatencyPhase, PathName } from './results.ts';

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
export function pooled(path: PathName, rounds: readonly Round[]): LatencyPhase {
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
 * falls on every path alike. Returns each path's rounds pooled, in `order`.
 */
export async function interleaved(
  order: readonly PathName[],
  rounds: number,
  runRound: (name: PathName) => Promise<Round>,
  announce: (round: number, turn: readonly PathName[]) => void,
): Promise<LatencyPhase[]> {
  const byPath = new Map<PathName, Round[]>(order.map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    const shift = round % order.length;
    const turn = [...order.slice(shift), ...order.slice(0, shift)];
    announce(round, turn);
    for (const name of turn) byPath.get(name)?.push(await runRound(name));
  }
  return order.map((name) => pooled(name, byPath.get(name) ?? []));
}
