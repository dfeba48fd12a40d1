/**
 * The arithmetic behind the benchmark's Redis-against-memory comparison, and the order in which
 * its rounds alternate.
 */
import { describe, expect, it } from 'vitest';
import type { CpuUsed } from '../../bench/lib/children.ts';
import type { LatencyPhase } from '../../bench/lib/results.ts';
import { perCall, pooledPeak, rateAt, ratio, type PeakRound } from '../../bench/lib/compare.ts';
import { alternate } from '../../bench/lib/rounds.ts';
import { pair, storeDifferences, type StoreMode } from '../../bench/lib/store-compare.ts';

const cpu = (hop: number, store: number, backend = 0, generator = 0): CpuUsed => ({
  hop,
  store,
  backend,
  generator,
});

const peakRound = (ok: number, failed: number, seconds: number, used: CpuUsed): PeakRound => ({
  result: { ok, failed, seconds, perSecond: ok / seconds },
  cpu: used,
});

const percentiles = (p50: number, p99: number) => ({ p50, p90: p99, p99, max: p99 });

function phase(
  path: StoreMode,
  calls: number,
  used: CpuUsed,
  latency: { p50: number; p99: number },
  roundP99: number[],
): LatencyPhase<StoreMode> {
  return {
    path,
    ok: calls,
    failed: 0,
    startedPerSecond: 100,
    latency: percentiles(latency.p50, latency.p99),
    lag: percentiles(0, 0),
    roundP99,
    cpu: used,
    seconds: 1,
    generatorGcMax: 0,
    machine: { p99: 0, max: 0 },
    gateway: undefined,
  };
}

describe('pooledPeak', () => {
  it('divides all rounds’ calls by all their seconds, and sums the CPU', () => {
    const pooled = pooledPeak([
      peakRound(1_000, 2, 1, cpu(200, 10, 100, 50)),
      peakRound(3_000, 0, 2, cpu(500, 30, 300, 150)),
    ]);
    // 4,000 calls in 3 s, not the mean of 1,000/s and 1,500/s.
    expect(pooled.result).toEqual({ ok: 4_000, failed: 2, seconds: 3, perSecond: 4_000 / 3 });
    expect(pooled.cpu).toEqual(cpu(700, 40, 400, 200));
  });

  it('keeps a store that was not measured as not measured', () => {
    const pooled = pooledPeak([peakRound(10, 0, 1, cpu(1, Number.NaN))]);
    expect(pooled.cpu.store).toBeNaN();
  });

  it('has no rate without rounds', () => {
    expect(pooledPeak([]).result.perSecond).toBeNaN();
  });
});

describe.each([
  { cpuMs: 250, calls: 1_000, micros: 250 },
  { cpuMs: 1, calls: 4, micros: 250 },
  { cpuMs: 5, calls: 0, micros: Number.NaN },
  { cpuMs: Number.NaN, calls: 10, micros: Number.NaN },
])('perCall($cpuMs ms, $calls calls)', ({ cpuMs, calls, micros }) => {
  it(`is ${micros} µs`, () => {
    expect(perCall(cpuMs, calls)).toBe(micros);
  });
});

describe.each([
  { of: 3, to: 2, expected: 1.5 },
  { of: 0, to: 2, expected: 0 },
  { of: 3, to: 0, expected: Number.NaN },
  { of: Number.NaN, to: 2, expected: Number.NaN },
  { of: 3, to: Number.POSITIVE_INFINITY, expected: Number.NaN },
])('ratio($of, $to)', ({ of, to, expected }) => {
  it(`is ${expected}`, () => {
    expect(ratio(of, to)).toBe(expected);
  });
});

it('pair tells what Redis adds to memory’s figure, and by what factor', () => {
  expect(pair(200, 250)).toEqual({ memory: 200, redis: 250, added: 50, ratio: 1.25 });
  expect(pair(2, 1.5)).toEqual({ memory: 2, redis: 1.5, added: -0.5, ratio: 0.75 });
});

describe.each([
  { fraction: 0.5, peaks: [3_000, 2_001], rate: 1_000 },
  { fraction: 0.5, peaks: [2_001, 3_000], rate: 1_000 },
  { fraction: 0.25, peaks: [4_000, Number.NaN], rate: 1_000 },
  { fraction: 0.5, peaks: [0, 800], rate: 400 },
  { fraction: 0.5, peaks: [1], rate: 1 },
  { fraction: 0.5, peaks: [Number.NaN, 0], rate: 1 },
  { fraction: 0.5, peaks: [], rate: 1 },
])('rateAt($fraction, $peaks)', ({ fraction, peaks, rate }) => {
  it(`is ${rate} calls/s`, () => {
    expect(rateAt(fraction, peaks)).toBe(rate);
  });
});

describe('storeDifferences', () => {
  // Memory mode: 1,000 calls at peak, the gateway 200 ms of CPU; redis-server idle at 5 ms.
  // Redis mode: 800 calls, the gateway 200 ms and redis-server 40 ms.
  const memory = {
    peak: peakRound(1_000, 0, 1, cpu(200, 5)),
    latency: phase('memory', 500, cpu(150, 2), { p50: 1, p99: 4 }, [3, 5, 4]),
  };
  const redis = {
    peak: peakRound(800, 0, 1, cpu(200, 40)),
    latency: phase('redis', 500, cpu(175, 25), { p50: 1.25, p99: 6 }, [4, 9, 5]),
  };
  const added = storeDifferences(memory, redis);

  it('compares the peaks', () => {
    expect(added.peak).toEqual(pair(1_000, 800));
    expect(added.peak.ratio).toBe(0.8);
  });

  it('charges redis-server to Redis mode’s calls only', () => {
    expect(added.peakGatewayMicros).toEqual(pair(200, 250));
    expect(added.peakServingMicros).toEqual(pair(200, 300));
    expect(added.peakRedisMicros).toEqual(pair(5, 50));
    expect(added.rateGatewayMicros).toEqual(pair(300, 350));
    expect(added.rateServingMicros).toEqual(pair(300, 400));
  });

  it('compares the latency percentiles and the rounds one by one', () => {
    expect(added.p50).toEqual(pair(1, 1.25));
    expect(added.p99).toEqual(pair(4, 6));
    // Round differences 1, 4 and 1: their median.
    expect(added.medianRoundAddedP99).toBe(1);
  });

  it('has no round figure without rounds', () => {
    const none = storeDifferences(
      { ...memory, latency: { ...memory.latency, roundP99: [] } },
      { ...redis, latency: { ...redis.latency, roundP99: [] } },
    );
    expect(none.medianRoundAddedP99).toBeNaN();
  });
});

describe('alternate', () => {
  it('starts each round one place further along, and keeps each path’s results in order', async () => {
    const turns: string[][] = [];
    let call = 0;
    const byPath = await alternate(
      ['a', 'b', 'c'],
      4,
      (name) => Promise.resolve(`${name}${call++}`),
      (_round, turn) => {
        turns.push([...turn]);
      },
    );
    expect(turns).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
      ['a', 'b', 'c'],
    ]);
    expect(byPath.get('a')).toEqual(['a0', 'a5', 'a7', 'a9']);
    expect(byPath.get('c')).toEqual(['c2', 'c4', 'c6', 'c11']);
  });

  it('alternates two modes, so each goes first in every other round', async () => {
    const first: string[] = [];
    await alternate(
      ['memory', 'redis'],
      4,
      () => Promise.resolve(0),
      (_round, turn) => {
        first.push(turn[0] ?? '');
      },
    );
    expect(first).toEqual(['memory', 'redis', 'memory', 'redis']);
  });
});
