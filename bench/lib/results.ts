/**
 * What bench/gateway.ts measures, as the report reads it: the paths it drives and each phase's
 * figures.
 */
import type { CpuUsed, GcReport } from './children.ts';
import type { ClosedLoopResult, Percentiles } from './load.ts';
import type { SessionMemory } from './memory-phase.ts';

export const PATHS = {
  'gateway-2025': 'gateway, 2025-era session',
  'gateway-2026': 'gateway, 2026-07-28 stateless',
  relay: 'direct REST via a bare relay',
  direct: 'direct REST to the API',
} as const;
export type PathName = keyof typeof PATHS;
export type GatewayPath = 'gateway-2025' | 'gateway-2026';
export const GATEWAY_PATHS = ['gateway-2025', 'gateway-2026'] as const;
export const isGatewayPath = (name: PathName): name is GatewayPath =>
  name === 'gateway-2025' || name === 'gateway-2026';
export const ERA: Record<GatewayPath, string> = {
  'gateway-2025': '2025 session',
  'gateway-2026': '2026-07-28',
};

/** One path at one rate, its rounds pooled. */
export interface LatencyPhase<N extends string = PathName> {
  readonly path: N;
  readonly ok: number;
  readonly failed: number;
  readonly startedPerSecond: number;
  /** Over every round's calls together. */
  readonly latency: Percentiles;
  readonly lag: Percentiles;
  /** p99 of each round on its own, in the order run. */
  readonly roundP99: readonly number[];
  /**
   * CPU ms used in all rounds together (hop NaN for the direct path, store NaN without Redis),
   * over `seconds` of rounds.
   */
  readonly cpu: CpuUsed;
  readonly seconds: number;
  /** The load generator's longest GC pause (ms). */
  readonly generatorGcMax: number;
  /** The idle canary's event-loop delay: worst round's p99, and the maximum. */
  readonly machine: { readonly p99: number; readonly max: number };
  /** GC and event-loop delay inside the gateway (gateway paths only; loop p99 = worst round). */
  readonly gateway: GcReport | undefined;
}

export interface Results {
  /** Whether the generator could (--expose-gc) empty its heap before each latency round. */
  readonly generatorGcForced: boolean;
  readonly connections: number;
  readonly duration: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly sessions: number;
  readonly gatewayNodeFlags: readonly string[];
  readonly peaks: ReadonlyMap<PathName, { result: ClosedLoopResult; cpu: CpuUsed }>;
  readonly rates: Readonly<Record<GatewayPath, number>>;
  /** Per gateway path: direct, relay and that gateway path, all at its rate R. */
  readonly latency: Readonly<Record<GatewayPath, readonly LatencyPhase[]>>;
  /** Per gateway path: the direct path's peak calls/s again, right after its latency rounds. */
  readonly directAfter: Readonly<Record<GatewayPath, number>>;
  /** Direct and the bare relay at half of the relay's own peak (calls/s): the floor. */
  readonly floor: { readonly rate: number; readonly phases: readonly LatencyPhase[] };
  readonly memory: SessionMemory & { readonly rssIdleKiB: number; readonly rssLoadKiB: number };
  readonly problems: readonly string[];
}
