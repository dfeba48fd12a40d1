/**
 * The arithmetic of the benchmark's auth-modes comparison: each mode against forward, and how a
 * failed call is described without a secret in it.
 */
import { describe, expect, it } from 'vitest';
import {
  againstForward,
  describeFailure,
  failureLog,
  gatewayMicros,
  type AuthMode,
  type AuthSide,
} from '../../bench/lib/auth-compare.ts';
import type { LatencyPhase } from '../../bench/lib/results.ts';

const percentiles = (p50: number, p99: number) => ({ p50, p90: p99, p99, max: p99 });

/** A mode with `calls` calls at peak in 1 s and at R, its gateway using the given CPU ms. */
function side(
  mode: AuthMode,
  calls: number,
  peakCpuMs: number,
  rateCpuMs: number,
  latency: { p50: number; p99: number },
): AuthSide {
  const cpu = (hop: number) => ({ hop, store: Number.NaN, backend: 1, generator: 1 });
  const phase: LatencyPhase<AuthMode> = {
    path: mode,
    ok: calls - 1,
    failed: 1,
    startedPerSecond: calls,
    latency: percentiles(latency.p50, latency.p99),
    lag: percentiles(0, 0),
    roundP99: [latency.p99],
    cpu: cpu(rateCpuMs),
    seconds: 1,
    generatorGcMax: 0,
    machine: { p99: 0, max: 0 },
    gateway: undefined,
  };
  return {
    peak: { result: { ok: calls, failed: 0, seconds: 1, perSecond: calls }, cpu: cpu(peakCpuMs) },
    latency: phase,
  };
}

describe('gatewayMicros', () => {
  it('divides the gateway’s CPU by every call, failed ones included', () => {
    expect(gatewayMicros(side('forward', 2_000, 800, 250, { p50: 1, p99: 3 }))).toEqual({
      peak: 400,
      rate: 125,
    });
  });

  it('has no figure without calls', () => {
    expect(gatewayMicros(side('mint', 0, 1, 1, { p50: 1, p99: 1 })).peak).toBeNaN();
  });
});

describe('againstForward', () => {
  const forward = side('forward', 2_000, 800, 250, { p50: 1, p99: 3 });

  it.each([
    {
      what: 'a dearer mode adds CPU and latency and has a lower peak',
      mode: side('service-key', 1_600, 800, 320, { p50: 1.25, p99: 4 }),
      expected: { peakRatio: 0.8, peakMicros: 100, rateMicros: 75, p50: 0.25, p99: 1 },
    },
    {
      what: 'a cheaper mode shows negative differences',
      mode: side('mint', 2_000, 780, 240, { p50: 0.75, p99: 3 }),
      expected: { peakRatio: 1, peakMicros: -10, rateMicros: -5, p50: -0.25, p99: 0 },
    },
  ])('$what', ({ mode, expected }) => {
    expect(againstForward(forward, mode)).toEqual(expected);
  });

  it('has no ratio when forward has no peak', () => {
    const none = side('forward', 0, 0, 0, { p50: 1, p99: 1 });
    expect(againstForward(none, forward).peakRatio).toBeNaN();
  });
});

describe('describeFailure', () => {
  const key = `tbk_${'ab'.repeat(32)}`;
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

  it.each([
    { status: 401, text: `{"error":"invalid_token","key":"${key}"}`, shows: 'tbk_…' },
    { status: 401, text: `identity ${jwt} refused`, shows: '<jwt>' },
  ])('blanks a secret in a $status answer', ({ status, text, shows }) => {
    const line = describeFailure(status, text);
    expect(line).toContain(shows);
    expect(line).not.toContain(key);
    expect(line).not.toContain(jwt);
    expect(line.startsWith(`${status} `)).toBe(true);
  });

  it('keeps one line of at most 200 characters of the answer', () => {
    const line = describeFailure(200, `{"result":\n${'x'.repeat(500)}`);
    expect(line).not.toContain('\n');
    expect(line).toHaveLength('200 '.length + 200);
  });
});

describe('failureLog', () => {
  it('counts per mode and keeps the first few different failures', () => {
    const log = failureLog(2);
    log.record('mint', '500 a');
    log.record('mint', '500 a');
    log.record('service-key', '401 b');
    log.record('service-key', '401 c');
    expect([log.count('forward'), log.count('mint'), log.count('service-key')]).toEqual([0, 2, 2]);
    expect(log.samples()).toEqual(['mint: 500 a', 'service-key: 401 b']);
  });
});
