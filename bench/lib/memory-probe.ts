/**
 * Preloaded into the gateway process by bench/gateway.ts (`node --expose-gc --import …`): on
 * SIGUSR2 it runs a full GC and writes one stderr line `MEMORY {rss, heapUsed, …}` (bytes), so
 * the benchmark can read heap figures without the inspector. It changes nothing else.
 */
export const MEMORY_PREFIX = 'MEMORY ';

process.on('SIGUSR2', () => {
  // Twice: the first pass can leave garbage that only becomes collectable after finalizers run.
  globalThis.gc?.();
  globalThis.gc?.();
  process.stderr.write(`${MEMORY_PREFIX}${JSON.stringify(process.memoryUsage())}\n`);
});
