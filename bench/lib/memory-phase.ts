/**
 * Phase 3 of bench/gateway.ts: memory per idle 2025-era session, on a fresh gateway so garbage
 * left by the load phases does not blur it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { probeMemory, startGatewayProcess, type GatewayOptions } from './children.ts';
import { closedLoop } from './load.ts';
import { callInSession, endpoint, openSession } from './mcp.ts';
import { rssKiB, type Child } from './processes.ts';

export interface SessionMemory {
  readonly beforeRssKiB: number;
  readonly afterRssKiB: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly externalBefore: number;
  readonly externalAfter: number;
}

/**
 * Opens `sessions` sessions on a new gateway and reads its memory before and after, each after a
 * full GC. `started` receives the gateway's process, so the caller stops it if this throws.
 */
export async function idleSessionMemory(
  gatewayOptions: GatewayOptions,
  authorization: string,
  sessions: number,
  warmupSeconds: number,
  started: (child: Child) => void,
): Promise<SessionMemory> {
  const fresh = await startGatewayProcess(gatewayOptions);
  started(fresh.child);
  const sessionPool = endpoint(fresh.url, 8);
  // Warm-up, so the baseline already has compiled code, lazily built state and a young
  // generation grown to its working size (else its growth would be charged to the sessions).
  for (let i = 0; i < 50; i += 1) await openSession(sessionPool, authorization);
  const warmSession = await openSession(sessionPool, authorization);
  await closedLoop(
    async () =>
      (await callInSession(sessionPool, authorization, warmSession, 'health_check', {})) !==
      undefined,
    8,
    warmupSeconds,
  );
  await sleep(200);
  const before = await probeMemory(fresh.child);
  const beforeRssKiB = rssKiB(fresh.child.pid);
  let opening = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (opening < sessions) {
        opening += 1;
        await openSession(sessionPool, authorization);
      }
    }),
  );
  await sessionPool.pool.close();
  await sleep(500);
  const afterRssKiB = rssKiB(fresh.child.pid);
  const after = await probeMemory(fresh.child);
  await fresh.child.stop();
  return {
    beforeRssKiB,
    afterRssKiB,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    externalBefore: before.external,
    externalAfter: after.external,
  };
}
