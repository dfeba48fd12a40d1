import { GO_MAX_SKEW_SECONDS } from '../tenant-headers/index.ts';
import { probe, type ProbeContext, type Reply } from './probe.ts';
import type { Report } from './report.ts';

/**
 * Clock skew between this machine and the API. X-TB-Timestamp is stamped here and judged against
 * the API's clock with a hard-coded 300 s window (CONTRACT.md B.3), so a skewed clock makes every
 * signature fail exactly as a wrong secret does; telling the two apart is this check's purpose.
 */

/** Above this the run still passes, but the margin is worth a warning. */
export const SKEW_WARN_SECONDS = 60;

interface Measurement {
  /** API clock minus local clock: positive when the API is ahead. */
  readonly skewMs: number;
  readonly source: string;
}

const midpoint = (reply: Reply) => (reply.sentAt + reply.receivedAt) / 2;

function fromInfo(reply: Reply): Measurement | undefined {
  if (reply.status !== 200) return undefined;
  try {
    const body: unknown = JSON.parse(reply.text);
    if (typeof body !== 'object' || body === null || !('serverTime' in body)) return undefined;
    if (typeof body.serverTime !== 'string') return undefined;
    const server = Date.parse(body.serverTime);
    if (Number.isNaN(server)) return undefined;
    return { skewMs: server - midpoint(reply), source: '/v1/sync/info serverTime' };
  } catch {
    return undefined;
  }
}

function fromDateHeader(reply: Reply): Measurement | undefined {
  const header = reply.headers['date'];
  if (typeof header !== 'string') return undefined;
  const server = Date.parse(header);
  if (Number.isNaN(server)) return undefined;
  // The header has whole seconds, truncated: the server's clock was somewhere in that second.
  return { skewMs: server + 500 - midpoint(reply), source: 'the Date header, ±1 s' };
}

/** Milliseconds-precise serverTime when /v1/sync/info answers, else the healthz Date header. */
export async function measureSkew(
  ctx: ProbeContext,
  healthz: Reply,
): Promise<Measurement | undefined> {
  const info = await probe(ctx, 'GET', '/v1/sync/info', { Accept: 'application/json' });
  return (info.ok ? fromInfo(info.reply) : undefined) ?? fromDateHeader(healthz);
}

function seconds(ms: number): string {
  const abs = Math.abs(ms) / 1000;
  const whole = Math.round(abs);
  // "300 s exceeds the 300 s window" would read as a contradiction: show the fraction there.
  return whole === GO_MAX_SKEW_SECONDS && abs !== whole ? abs.toFixed(1) : String(whole);
}

/** Reports the skew; false when it is outside the window (signed requests cannot succeed). */
export function judgeSkew(report: Report, measured: Measurement | undefined): boolean {
  if (measured === undefined) {
    report.warn(
      'clock skew: not measured (no Date header and no /v1/sync/info serverTime); a 401 on the session check may also mean the clocks differ by more than 300 s',
    );
    return true;
  }
  const { skewMs, source } = measured;
  const shown = seconds(skewMs);
  const side = skewMs < 0 ? 'ahead of' : 'behind';
  const fix = "synchronise this machine's clock (NTP) and the API host's";
  if (Math.abs(skewMs) > GO_MAX_SKEW_SECONDS * 1000) {
    report.fail(
      `clock skew of ${shown} s exceeds the API's ${GO_MAX_SKEW_SECONDS} s window; tenant signatures will be rejected`,
      `${fix}; the window is fixed in the Go API`,
      `this machine's clock is ${shown} s ${side} the API's (measured from ${source})`,
    );
    return false;
  }
  if (Math.abs(skewMs) > SKEW_WARN_SECONDS * 1000) {
    report.warn(
      `clock skew of ${shown} s is inside the API's ${GO_MAX_SKEW_SECONDS} s window but large: this machine's clock is ${side} the API's (measured from ${source})`,
      fix,
    );
    return true;
  }
  report.pass(`clock skew: ${(Math.abs(skewMs) / 1000).toFixed(1)} s (measured from ${source})`);
  return true;
}
