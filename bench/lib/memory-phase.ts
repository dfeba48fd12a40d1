/**
 * Memory per idle session (phase 3 of bench/gateway.ts, and bench/session-memory.ts), on a fresh
 * gateway so garbage left by load phases does not blur it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { probeMemory, startGatewayProcess, type GatewayOptions } from './children.ts';
import { closedLoop } from './load.ts';
import {
  MCP_REMOTE_CLIENT,
  callInSession,
  endpoint,
  openSession,
  type ClientHello,
  type Endpoint,
} from './mcp.ts';
import { rssKiB, type Child } from './processes.ts';
import { openSseSession } from './sse-session.ts';

/** A kind of session to open and leave idle. */
export interface IdleSessions {
  readonly label: string;
  /** Opens one session through `to` and leaves it idle; the function returned lets it go. */
  open(to: Endpoint, authorization: string): Promise<() => void>;
}

/** 2025-era Streamable HTTP: a session outlives its requests, so letting go is nothing. */
export const streamableSessions = (client: ClientHello = MCP_REMOTE_CLIENT): IdleSessions => ({
  label: '2025-era session',
  open: async (to, authorization) => {
    await openSession(to, authorization, client);
    return () => undefined;
  },
});

/** Legacy SSE: the session is its stream, held open on a socket of its own. */
export const sseSessions = (client: ClientHello = MCP_REMOTE_CLIENT): IdleSessions => ({
  label: 'legacy SSE session',
  open: (to, authorization) => openSseSession(to, authorization, client),
});

export interface SessionMemory {
  readonly beforeRssKiB: number;
  readonly afterRssKiB: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly externalBefore: number;
  readonly externalAfter: number;
}

/**
 * Opens `sessions` sessions of `kind` on a new gateway and reads its memory before and after,
 * each after a full GC. `started` receives the gateway's process, so the caller stops it if this
 * throws.
 */
export async function idleSessionMemory(
  gatewayOptions: GatewayOptions,
  authorization: string,
  sessions: number,
  warmupSeconds: number,
  started: (child: Child) => void,
  kind: IdleSessions = streamableSessions(),
): Promise<SessionMemory> {
  const fresh = await startGatewayProcess(gatewayOptions);
  started(fresh.child);
  const sessionPool = endpoint(fresh.url, 8);
  const release: (() => void)[] = [];
  // Warm-up, so the baseline already has compiled code, lazily built state and a young
  // generation grown to its working size (else its growth would be charged to the sessions).
  for (let i = 0; i < 50; i += 1) release.push(await kind.open(sessionPool, authorization));
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
        release.push(await kind.open(sessionPool, authorization));
      }
    }),
  );
  await sessionPool.pool.close();
  await sleep(500);
  const afterRssKiB = rssKiB(fresh.child.pid);
  const after = await probeMemory(fresh.child);
  for (const letGo of release) letGo();
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

/** Bytes per session: retained after a full GC (JS heap + external), and RSS growth. */
export function perSession(memory: SessionMemory, sessions: number) {
  const heap = (memory.heapAfter - memory.heapBefore) / sessions;
  const external = (memory.externalAfter - memory.externalBefore) / sessions;
  return {
    retained: heap + external,
    heap,
    external,
    rss: ((memory.afterRssKiB - memory.beforeRssKiB) * 1024) / sessions,
  };
}
