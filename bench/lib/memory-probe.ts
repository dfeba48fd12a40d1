/**
 * Preloaded into the gateway process by bench/gateway.ts (`node --expose-gc --import …`); it
 * changes nothing else in the process. Two probes, each answered with one stderr line:
 * - SIGUSR2 → `MEMORY {rss, heapUsed, …}` (bytes), read after a full GC, so the benchmark gets
 *   heap figures without the inspector;
 * - SIGWINCH (free here: the gateway's output is a pipe, not a terminal) → `GC {minor, major}`,
 *   the pause (ms) of every young- and old-generation collection since the previous SIGWINCH,
 *   from a `gc` PerformanceObserver, forced ones left out, and the event-loop delay (p50, p99,
 *   max, ms) over the same window. It collects nothing itself, so it can bracket a measured
 *   phase without disturbing it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { watchGc } from './gc.ts';

export const MEMORY_PREFIX = 'MEMORY ';
export const GC_PREFIX = 'GC ';

process.on('SIGUSR2', () => {
  // Twice: the first pass can leave garbage that only becomes collectable after finalizers run.
  globalThis.gc?.();
  globalThis.gc?.();
  process.stderr.write(`${MEMORY_PREFIX}${JSON.stringify(process.memoryUsage())}\n`);
});

const gcPauses = watchGc();
// Event-loop delay: tells stalls inside the gateway from delays outside it. The sampling timer's
// period comes from PROBE_LOOP_RESOLUTION_MS (default 1 ms, for the idle canary). The gateway is
// given 10 ms, the period of the monitor its own metrics already run: a 1 ms timer woke it a
// thousand times a second, and used about 4 % of a core while idle, that the relay never paid.
const requested = Number(process.env['PROBE_LOOP_RESOLUTION_MS'] ?? '1');
const resolution = requested >= 1 ? requested : 1;
const loopDelay = monitorEventLoopDelay({ resolution });
loopDelay.enable();

process.on('SIGWINCH', () => {
  // The histogram holds whole timer intervals (an idle loop reads `resolution`): report how late
  // the timer ran, beyond its period.
  const ms = (ns: number) => Math.max(0, ns / 1e6 - resolution);
  const loop = {
    p50: ms(loopDelay.percentile(50)),
    p99: ms(loopDelay.percentile(99)),
    max: ms(loopDelay.max),
  };
  process.stderr.write(`${GC_PREFIX}${JSON.stringify({ ...gcPauses.take(), loop })}\n`);
  loopDelay.reset();
});
