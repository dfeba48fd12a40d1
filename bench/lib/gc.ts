/**
 * Pause times of this process's garbage collections, from a `gc` PerformanceObserver: used by
 * the gateway's preloaded probe and by the load generator itself. Forced collections (gc()) are
 * left out, so a probe's own full GC never shows up as a pause under load.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';

export interface GcPauses {
  /** Young-generation collections (scavenges), ms each. */
  readonly minor: number[];
  /** Old-generation collections (mark-compact) and anything else, ms each. */
  readonly major: number[];
}

const numberField = (value: unknown, field: string): number | undefined => {
  if (typeof value !== 'object' || value === null || !(field in value)) return undefined;
  const found: unknown = Reflect.get(value, field);
  return typeof found === 'number' ? found : undefined;
};

/** Starts recording; `take()` returns the pauses since the previous take and starts afresh. */
export function watchGc(): { take(): GcPauses } {
  let pauses: GcPauses = { minor: [], major: [] };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail: unknown = Reflect.get(entry, 'detail');
      const flags = numberField(detail, 'flags') ?? 0;
      if ((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) continue;
      if (numberField(detail, 'kind') === constants.NODE_PERFORMANCE_GC_MINOR) {
        pauses.minor.push(entry.duration);
      } else pauses.major.push(entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  return {
    take() {
      const taken = pauses;
      pauses = { minor: [], major: [] };
      return taken;
    },
  };
}
