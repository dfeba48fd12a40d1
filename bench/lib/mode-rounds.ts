/**
 * The measuring half of a phase that compares gateways up at once, alike but for one setting
 * (the session store, the backend auth mode): each mode's warm-up, then peak throughput in
 * closed-loop rounds that alternate between the modes, then latency at one rate for all (a
 * fraction of the lowest peak) in alternating open-loop rounds. The gateway's CPU, and the
 * store's when there is one, are read from /proc around every round.
 */
import { withCpu, type CpuPids } from './children.ts';
import { pooledPeak, rateAt, type PeakRound } from './compare.ts';
import { int } from './format.ts';
import type { GcPauses } from './gc.ts';
import { closedLoop, type Send } from './load.ts';
import type { Child } from './processes.ts';
import type { LatencyPhase } from './results.ts';
import { PRIME_SECONDS, alternate, interleaved, measureRound } from './rounds.ts';

/** A gateway of one mode, and a sender that calls through it. */
export interface ModeServer {
  readonly child: Child;
  readonly send: Send;
}

/** What every phase of alternating rounds is given by bench/gateway.ts. */
export interface RoundsContext {
  readonly canary: Child;
  readonly generatorGc: { take(): GcPauses };
  readonly duration: number;
  readonly rounds: number;
  readonly connections: number;
  readonly warmup: number;
  readonly progress: (text: string) => void;
}

export interface ModeRoundsSetup<M extends string> extends RoundsContext {
  /** Names the phase in progress lines. */
  readonly label: string;
  /** The modes, in the order of the first round. */
  readonly modes: readonly M[];
  readonly server: (mode: M) => ModeServer;
  /** The processes whose CPU a mode's rounds read. */
  readonly pids: (mode: M) => CpuPids;
  /** The latency rounds run at this fraction of the lowest peak. */
  readonly fraction: number;
}

/** One mode's figures. */
export interface ModeOutcome<M extends string> {
  /** Its peak rounds pooled. */
  readonly peak: PeakRound;
  /** Each peak round's calls/s, in the order run. */
  readonly peakRounds: readonly number[];
  /** Its latency rounds pooled. */
  readonly latency: LatencyPhase<M>;
}

export interface ModeRuns<M extends string> {
  /** Calls/s of the latency rounds. */
  readonly rate: number;
  readonly outcomes: ReadonlyMap<M, ModeOutcome<M>>;
}

export async function runModeRounds<M extends string>(
  setup: ModeRoundsSetup<M>,
): Promise<ModeRuns<M>> {
  const { label, modes, server, pids, duration, rounds, connections, warmup, progress } = setup;
  const seconds = duration / rounds;
  for (const mode of modes) {
    progress(`${label} warm-up: ${mode} (${warmup} s)`);
    await closedLoop(server(mode).send, connections, warmup);
  }

  const peakRounds = await alternate(
    modes,
    rounds,
    async (mode) => {
      const { send } = server(mode);
      await closedLoop(send, connections, PRIME_SECONDS);
      return withCpu(pids(mode), () => closedLoop(send, connections, seconds));
    },
    (round, turn) => {
      progress(
        `${label} peak, round ${round + 1}/${rounds}: ${turn.join(', ')} (${seconds} s each)`,
      );
    },
  );
  const peaks = new Map(modes.map((mode) => [mode, pooledPeak(peakRounds.get(mode) ?? [])]));
  const rate = rateAt(
    setup.fraction,
    [...peaks.values()].map((peak) => peak.result.perSecond),
  );

  const latency = await interleaved(
    modes,
    rounds,
    async (mode) =>
      (
        await measureRound({
          send: server(mode).send,
          rate,
          seconds,
          connections,
          pids: pids(mode),
          gateway: server(mode).child,
          gatewayOnPath: true,
          canary: setup.canary,
          generatorGc: setup.generatorGc,
        })
      ).round,
    (round, turn) => {
      progress(
        `${label} latency at ${int(rate)} calls/s, round ${round + 1}/${rounds}: ${turn.join(', ')} (${seconds} s each)`,
      );
    },
  );
  const outcomes = new Map<M, ModeOutcome<M>>();
  modes.forEach((mode, i) => {
    const peak = peaks.get(mode);
    const phase = latency[i];
    if (peak === undefined || phase === undefined)
      throw new Error(`${label}: ${mode} has no rounds`);
    outcomes.set(mode, {
      peak,
      peakRounds: (peakRounds.get(mode) ?? []).map((round) => round.result.perSecond),
      latency: phase,
    });
  });
  return { rate, outcomes };
}

/** A mode's figures, which every mode run has. */
export function outcomeOf<M extends string>(runs: ModeRuns<M>, mode: M): ModeOutcome<M> {
  const outcome = runs.outcomes.get(mode);
  if (outcome === undefined) throw new Error(`no figures for ${mode}`);
  return outcome;
}
