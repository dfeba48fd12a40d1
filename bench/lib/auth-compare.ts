/**
 * The arithmetic of the auth-modes comparison (auth-phase.ts): each mode's gateway CPU per call,
 * and each mode against forwarding the client's token: the CPU µs it adds per call, the p50 and
 * p99 it adds, its peak as a ratio. Also how a failed call is described without a secret in it.
 * No I/O, so test/bench/ checks it.
 */
import { perCall, ratio, type PeakRound } from './compare.ts';
import type { LatencyPhase } from './results.ts';

export const AUTH_MODES = ['forward', 'mint', 'service-key'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
export const AUTH_LABELS: Readonly<Record<AuthMode, string>> = {
  forward: 'forward: client token',
  mint: 'mint: client token',
  'service-key': 'service key + identity',
};

/** One mode's measurements: its pooled peak and its pooled latency rounds. */
export interface AuthSide {
  readonly peak: PeakRound;
  readonly latency: LatencyPhase<AuthMode>;
}

/** The gateway's CPU µs per call, at peak and at the latency rounds' rate. */
export function gatewayMicros(side: AuthSide): { peak: number; rate: number } {
  const { peak, latency } = side;
  return {
    peak: perCall(peak.cpu.hop, peak.result.ok + peak.result.failed),
    rate: perCall(latency.cpu.hop, latency.ok + latency.failed),
  };
}

/** A mode against forward: its figure minus forward's (ratio for the peak). */
export interface AgainstForward {
  /** mode / forward peak calls/s */
  readonly peakRatio: number;
  /** Gateway CPU µs per call added, at peak and at the latency rate. */
  readonly peakMicros: number;
  readonly rateMicros: number;
  /** ms added at the latency rate. */
  readonly p50: number;
  readonly p99: number;
}

export function againstForward(forward: AuthSide, mode: AuthSide): AgainstForward {
  const base = gatewayMicros(forward);
  const own = gatewayMicros(mode);
  return {
    peakRatio: ratio(mode.peak.result.perSecond, forward.peak.result.perSecond),
    peakMicros: own.peak - base.peak,
    rateMicros: own.rate - base.rate,
    p50: mode.latency.latency.p50 - forward.latency.latency.p50,
    p99: mode.latency.latency.p99 - forward.latency.latency.p99,
  };
}

/**
 * A failed call in one line for the report: the status and the start of the answer, with
 * anything shaped like a service key or a JWT blanked (a gateway's answers should hold neither;
 * the report must not, whatever an answer holds).
 */
export function describeFailure(status: number, text: string): string {
  const shown = text
    .replace(/tbk_[0-9a-fA-F]+/g, 'tbk_…')
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '<jwt>')
    .replace(/\s+/g, ' ')
    .slice(0, 200);
  return `${status} ${shown}`;
}

/** Failed calls per mode, and the first few different descriptions. */
export function failureLog(keep = 5) {
  const counts = new Map<AuthMode, number>();
  const samples: string[] = [];
  return {
    record(mode: AuthMode, description: string) {
      counts.set(mode, (counts.get(mode) ?? 0) + 1);
      const line = `${mode}: ${description}`;
      if (samples.length < keep && !samples.includes(line)) samples.push(line);
    },
    count: (mode: AuthMode) => counts.get(mode) ?? 0,
    samples: (): readonly string[] => samples,
  };
}
export type FailureLog = ReturnType<typeof failureLog>;
