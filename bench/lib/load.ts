/**
 * Load generation for bench/gateway.ts: a closed loop (C workers, each sending its next call as
 * soon as the previous one is answered) for peak throughput, and an open loop (calls started at a
 * fixed rate, whatever the answers do) for latency at a given load.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Sends one call; resolves true when it succeeded. `slot` tells concurrent senders apart. */
export type Send = (slot: number) => Promise<boolean>;

export interface ClosedLoopResult {
  readonly ok: number;
  readonly failed: number;
  readonly seconds: number;
  readonly perSecond: number;
}

export async function closedLoop(
  send: Send,
  concurrency: number,
  seconds: number,
): Promise<ClosedLoopResult> {
  let ok = 0;
  let failed = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (slot: number) => {
    while (performance.now() < end) {
      if (await send(slot).catch(() => false)) ok += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, slot) => worker(slot)));
  const elapsed = (performance.now() - start) / 1000;
  return { ok, failed, seconds: elapsed, perSecond: ok / elapsed };
}

export interface OpenLoopResult {
  readonly ok: number;
  readonly failed: number;
  /** Calls started per second, as achieved. */
  readonly startedPerSecond: number;
  /** Milliseconds from sending a call to its complete answer, successful calls only. */
  readonly latency: Percentiles;
  /** How late calls were started against their schedule (generator health), ms. */
  readonly lag: Percentiles;
  /** The raw samples behind `latency` and `lag`, so phases run in rounds can be pooled. */
  readonly samples: { readonly latency: Float64Array; readonly lag: Float64Array };
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export function percentiles(samples: Float64Array): Percentiles {
  const sorted = samples.slice().sort();
  const at = (q: number) =>
    sorted.length === 0
      ? Number.NaN
      : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/**
 * Starts `rate` calls per second for `seconds`, spread evenly (timer ticks start every call
 * that is due), then waits for the stragglers. Slots rotate over `slots` senders.
 */
export async function openLoop(
  send: Send,
  rate: number,
  seconds: number,
  slots: number,
): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies = new Float64Array(total);
  const lags = new Float64Array(total);
  let ok = 0;
  let failed = 0;
  let started = 0;
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / rate;
  const start = performance.now();

  const fire = (index: number, due: number) => {
    const sentAt = performance.now();
    lags[index] = sentAt - due;
    const call = send(index % slots)
      .catch(() => false)
      .then((success) => {
        if (success) {
          latencies[ok] = performance.now() - sentAt;
          ok += 1;
        } else {
          failed += 1;
        }
      });
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  };

  while (started < total) {
    const now = performance.now();
    while (started < total && start + started * interval <= now) {
      fire(started, start + started * interval);
      started += 1;
    }
    if (started < total) await sleep(Math.max(0, start + started * interval - performance.now()));
  }
  const startedFor = (performance.now() - start) / 1000;
  await Promise.all(inFlight);
  return {
    ok,
    failed,
    startedPerSecond: total / startedFor,
    latency: percentiles(latencies.subarray(0, ok)),
    lag: percentiles(lags),
    samples: { latency: latencies.subarray(0, ok), lag: lags },
  };
}
