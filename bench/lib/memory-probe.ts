/**
 * Preloaded into the gateway process by bench/gateway.ts (`node --expose-gc --import …`); it
 * changes nothing else in the process. Two probes, each answered with one stderr line:
 * - SIGUSR2 → `MEMORY {rss, heapUsed, …}` (bytes), read after a full GC, so the benchmark gets
 *   heap figures without the inspector;
 * - SIGWINCH (free here: the gateway's output is a pipe, not a terminal) → `GC {minor, major}`,
 *   the pause (ms) of every young- and old-generation collection since the previous SIGWINCH,
 *   from a `gc` PerformanceObserver, forced ones left out. It collects nothing itself, so it can
 *   bracket a measured phase without disturbing it.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';

export const MEMORY_PREFIX = 'MEMORY ';
export const GC_PREFIX = 'GC ';

let minor: number[] = [];
let major: number[] = [];
const numberField = (value: unknown, field: string): number | undefined => {
  if (typeof value !== 'object' || value === null || !(field in value)) return undefined;
  const found: unknown = Reflect.get(value, field);
  return typeof found === 'number' ? found : undefined;
};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const flags = numberField(Reflect.get(entry, 'detail'), 'flags') ?? 0;
    if ((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) continue;
    if (numberField(Reflect.get(entry, 'detail'), 'kind') === constants.NODE_PERFORMANCE_GC_MINOR) {
      minor.push(entry.duration);
    } else major.push(entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

process.on('SIGUSR2', () => {
  // Twice: the first pass can leave garbage that only becomes collectable after finalizers run.
  globalThis.gc?.();
  globalThis.gc?.();
  process.stderr.write(`${MEMORY_PREFIX}${JSON.stringify(process.memoryUsage())}\n`);
});

process.on('SIGWINCH', () => {
  process.stderr.write(`${GC_PREFIX}${JSON.stringify({ minor, major })}\n`);
  minor = [];
  major = [];
});
