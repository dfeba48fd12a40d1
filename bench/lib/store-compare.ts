/**
 * The arithmetic of the session-store comparison (store-phase.ts): Redis mode against memory
 * mode as differences and ratios (pooling, CPU per call and the rate are compare.ts's). No I/O,
 * so test/bench/ checks it.
 */
import type { CpuUsed } from './children.ts';
import { perCall, ratio, type PeakRound } from './compare.ts';
import { median } from './format.ts';
import type { LatencyPhase } from './results.ts';

export const STORES = {
  memory: 'gateway, memory store',
  redis: 'gateway, Redis store',
} as const;
export type StoreMode = keyof typeof STORES;
export const STORE_MODES = ['memory', 'redis'] as const;

/** One figure in both modes, and what Redis mode adds to it. */
export interface Pair {
  readonly memory: number;
  readonly redis: number;
  /** redis − memory */
  readonly added: number;
  /** redis / memory */
  readonly ratio: number;
}

export const pair = (memory: number, redis: number): Pair => ({
  memory,
  redis,
  added: redis - memory,
  ratio: ratio(redis, memory),
});

/** One mode's measurements: its pooled peak and its pooled latency rounds. */
export interface StoreSide {
  readonly peak: PeakRound;
  readonly latency: LatencyPhase<StoreMode>;
}

/**
 * CPU per call of what serves the sessions: the gateway, plus redis-server in Redis mode. In
 * memory mode redis-server is idle (its own timers, and the Redis-mode gateway's pings), so its
 * CPU is not charged to the memory mode's calls.
 */
const serving = (mode: StoreMode, cpu: CpuUsed) => cpu.hop + (mode === 'redis' ? cpu.store : 0);

function cpuPerCall(mode: StoreMode, cpu: CpuUsed, calls: number) {
  return { gateway: perCall(cpu.hop, calls), serving: perCall(serving(mode, cpu), calls) };
}

export interface StoreDifferences {
  readonly peak: Pair;
  /** µs per call at peak: the gateway process alone, and the gateway plus redis-server. */
  readonly peakGatewayMicros: Pair;
  readonly peakServingMicros: Pair;
  /** redis-server's µs per call at peak, in each mode's rounds (memory: its idle cost). */
  readonly peakRedisMicros: Pair;
  /** The same at the latency rounds' rate. */
  readonly rateGatewayMicros: Pair;
  readonly rateServingMicros: Pair;
  readonly p50: Pair;
  readonly p99: Pair;
  /** Median over rounds of (Redis round p99 − memory round p99), rounds taken in order. */
  readonly medianRoundAddedP99: number;
}

export function storeDifferences(memory: StoreSide, redis: StoreSide): StoreDifferences {
  const calls = (peak: PeakRound) => peak.result.ok + peak.result.failed;
  const phaseCalls = (phase: LatencyPhase<StoreMode>) => phase.ok + phase.failed;
  const memoryPeak = cpuPerCall('memory', memory.peak.cpu, calls(memory.peak));
  const redisPeak = cpuPerCall('redis', redis.peak.cpu, calls(redis.peak));
  const memoryRate = cpuPerCall('memory', memory.latency.cpu, phaseCalls(memory.latency));
  const redisRate = cpuPerCall('redis', redis.latency.cpu, phaseCalls(redis.latency));
  const roundAdded = redis.latency.roundP99.map(
    (p99, i) => p99 - (memory.latency.roundP99[i] ?? Number.NaN),
  );
  return {
    peak: pair(memory.peak.result.perSecond, redis.peak.result.perSecond),
    peakGatewayMicros: pair(memoryPeak.gateway, redisPeak.gateway),
    peakServingMicros: pair(memoryPeak.serving, redisPeak.serving),
    peakRedisMicros: pair(
      perCall(memory.peak.cpu.store, calls(memory.peak)),
      perCall(redis.peak.cpu.store, calls(redis.peak)),
    ),
    rateGatewayMicros: pair(memoryRate.gateway, redisRate.gateway),
    rateServingMicros: pair(memoryRate.serving, redisRate.serving),
    p50: pair(memory.latency.latency.p50, redis.latency.latency.p50),
    p99: pair(memory.latency.latency.p99, redis.latency.latency.p99),
    medianRoundAddedP99: roundAdded.length === 0 ? Number.NaN : median(roundAdded),
  };
}
