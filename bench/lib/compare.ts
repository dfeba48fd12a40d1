/**
 * The arithmetic shared by the phases that compare gateways alike but for one setting
 * (mode-rounds.ts): closed-loop rounds pooled into one peak, CPU per call, ratios, and the rate
 * of the latency rounds. No I/O, so test/bench/ checks it.
 */
import type { CpuUsed } from './children.ts';
import type { ClosedLoopResult } from './load.ts';

/** One closed-loop round, or several pooled. */
export interface PeakRound {
  readonly result: ClosedLoopResult;
  readonly cpu: CpuUsed;
}

/** Rounds of one path as one peak: calls over the rounds' seconds together, CPU summed. */
export function pooledPeak(rounds: readonly PeakRound[]): PeakRound {
  const sum = (pick: (round: PeakRound) => number) =>
    rounds.reduce((total, round) => total + pick(round), 0);
  const ok = sum((round) => round.result.ok);
  const seconds = sum((round) => round.result.seconds);
  return {
    result: {
      ok,
      failed: sum((round) => round.result.failed),
      seconds,
      perSecond: seconds > 0 ? ok / seconds : Number.NaN,
    },
    cpu: {
      hop: sum((round) => round.cpu.hop),
      store: sum((round) => round.cpu.store),
      backend: sum((round) => round.cpu.backend),
      generator: sum((round) => round.cpu.generator),
    },
  };
}

/** µs of CPU per call; NaN when there were no calls or no reading. */
export const perCall = (cpuMs: number, calls: number): number =>
  calls > 0 ? (cpuMs * 1000) / calls : Number.NaN;

/** `of` / `to`; NaN unless both are finite and `to` is not 0. */
export const ratio = (of: number, to: number): number =>
  Number.isFinite(of) && Number.isFinite(to) && to !== 0 ? of / to : Number.NaN;

/**
 * Calls/s for the latency rounds: `fraction` of the lowest of the peaks, so every mode is
 * measured at one rate that none is saturated at. At least 1.
 */
export function rateAt(fraction: number, peaks: readonly number[]): number {
  const finite = peaks.filter((peak) => Number.isFinite(peak) && peak > 0);
  if (finite.length === 0) return 1;
  return Math.max(1, Math.floor(fraction * Math.min(...finite)));
}
