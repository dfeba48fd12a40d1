/**
 * The auth-modes comparison's part of the report (auth-phase.ts): each mode's peak and gateway
 * CPU per call, latency at one rate, then each mode against forward. Failed calls are counted
 * over the whole phase and described, since figures of failing calls mean nothing.
 */
import {
  AUTH_LABELS,
  AUTH_MODES,
  againstForward,
  gatewayMicros,
  type AuthSide,
} from './auth-compare.ts';
import type { AuthResults } from './auth-phase.ts';
import { perCall } from './compare.ts';
import { int, ms, row } from './format.ts';
import { IDENTITY_TTL_SECONDS, RENEW_BEFORE_SECONDS } from './identities.ts';
import { LATENCY_COLUMNS, LATENCY_WIDTHS, phaseCells } from './report-latency.ts';

const micros = (value: number) => (Number.isFinite(value) ? `${int(value)} µs` : '-');
const signed = (value: number, unit: (n: number) => string) =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${unit(Math.abs(value))}` : '-';
const times = (value: number) => (Number.isFinite(value) ? `×${value.toFixed(2)}` : '-');

function peaks(results: AuthResults, out: (text: string) => void): void {
  const widths = [30, 9, 15, 7, 12, 12, 12];
  out(
    `  peak      closed loop, ${results.connections} workers, ${results.rounds} alternating rounds of ${ms(results.duration / results.rounds)} s per mode; CPU per call\n`,
  );
  out(row(['path', 'calls/s', 'rounds', 'failed', 'gateway', 'API', 'generator'], widths));
  for (const mode of AUTH_MODES) {
    const { peak, peakRounds } = results.figures[mode];
    const calls = peak.result.ok + peak.result.failed;
    out(
      row(
        [
          AUTH_LABELS[mode],
          int(peak.result.perSecond),
          `${int(Math.min(...peakRounds))}–${int(Math.max(...peakRounds))}`,
          int(peak.result.failed),
          micros(perCall(peak.cpu.hop, calls)),
          micros(perCall(peak.cpu.backend, calls)),
          micros(perCall(peak.cpu.generator, calls)),
        ],
        widths,
      ),
    );
  }
}

function latency(results: AuthResults, out: (text: string) => void): void {
  out(
    `  latency   open loop at R = ${int(results.rate)} calls/s (${results.fraction} × the lowest peak) for all, ${results.rounds} alternating rounds of ${ms(results.duration / results.rounds)} s per mode; ms from send to full answer\n`,
  );
  out(row(LATENCY_COLUMNS, LATENCY_WIDTHS));
  for (const mode of AUTH_MODES) {
    out(row([AUTH_LABELS[mode], ...phaseCells(results.figures[mode].latency)], LATENCY_WIDTHS));
  }
  out("  hop µs: the gateway's CPU per call in these rounds\n");
}

function deltas(results: AuthResults, out: (text: string) => void): void {
  const side = (mode: (typeof AUTH_MODES)[number]): AuthSide => results.figures[mode];
  const forward = side('forward');
  const base = gatewayMicros(forward);
  out('\n  Against forward (mode − forward; peak as mode / forward)\n');
  const widths = [30, 12, 14, 14, 12, 12];
  out(row(['path', 'peak', 'CPU at peak', 'CPU at R', 'p50 at R', 'p99 at R'], widths));
  out(
    row(
      [
        AUTH_LABELS.forward,
        int(forward.peak.result.perSecond),
        micros(base.peak),
        micros(base.rate),
        `${ms(forward.latency.latency.p50)} ms`,
        `${ms(forward.latency.latency.p99)} ms`,
      ],
      widths,
    ),
  );
  for (const mode of AUTH_MODES.filter((name) => name !== 'forward')) {
    const added = againstForward(forward, side(mode));
    out(
      row(
        [
          AUTH_LABELS[mode],
          times(added.peakRatio),
          signed(added.peakMicros, micros),
          signed(added.rateMicros, micros),
          `${signed(added.p50, ms)} ms`,
          `${signed(added.p99, ms)} ms`,
        ],
        widths,
      ),
    );
  }
  out("  CPU: the gateway process's µs per call (user + system, from /proc)\n");
}

export function printAuthReport(results: AuthResults, out: (text: string) => void): void {
  out('\nBackend auth modes: the cost per call of each (issue #18), 2025-era sessions\n');
  out(
    '  setup     three gateways up at once in front of one API, alike but for TOOLBRIDGE_BACKEND_AUTH and service keys:\n',
  );
  out(
    `            calls for ${results.users} users in turn in every mode; forward and mint: each user's HS256 client token, on the user's own open session;\n`,
  );
  out(
    `            service key + identity: one tbk_ key (TOOLBRIDGE_SERVICE_KEYS) on ${results.connections} open sessions (one per worker), and the user's HS256 identity\n`,
  );
  out(
    `            token in x-toolbridge-user (each signed once, ${IDENTITY_TTL_SECONDS} s, renewed ${RENEW_BEFORE_SECONDS} s before exp), backend auth mint; ${results.warmup} s warm-up each\n`,
  );
  out(
    "  calls     MCP tools/call get_note {uid} with Mcp-Session-Id, uid a note of the call's user\n",
  );
  peaks(results, out);
  latency(results, out);
  deltas(results, out);
  const failed = AUTH_MODES.map((mode) => `${mode} ${int(results.failed[mode])}`).join(', ');
  const total = AUTH_MODES.reduce((sum, mode) => sum + results.failed[mode], 0);
  out(
    `  failed calls, whole phase  ${failed}${total > 0 ? '  ✘ THESE FIGURES INCLUDE FAILED CALLS' : ''}\n`,
  );
  for (const sample of results.failures) out(`    ${sample}\n`);
  const { problems } = results;
  out(
    `  gateway warn/error log lines  ${problems.length}${problems.length > 0 ? `; first: ${problems[0]?.slice(0, 300) ?? ''}` : ''}\n`,
  );
}
