/**
 * Phases 1–3 of bench/gateway.ts: the gateway's two eras, the bare relay and the direct path at
 * peak and in latency rounds, the floor, and memory per idle session (see the script's header).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startGatewayProcess,
  startRelayProcess,
  withCpu,
  type CpuUsed,
  type GatewayOptions,
} from './children.ts';
import { directSender } from './direct-sender.ts';
import { int } from './format.ts';
import type { GcPauses } from './gc.ts';
import { closedLoop, type ClosedLoopResult, type Send } from './load.ts';
import { callInSession, callStateless, endpoint, openSession, type McpSession } from './mcp.ts';
import { idleSessionMemory } from './memory-phase.ts';
import { rssKiB, sampleRss, type Child } from './processes.ts';
import {
  isGatewayPath,
  type GatewayPath,
  type LatencyPhase,
  type PathName,
  type Results,
} from './results.ts';
import { PRIME_SECONDS, interleaved, measureRound, type Round } from './rounds.ts';

export interface PathsContext {
  readonly gateway: GatewayOptions;
  readonly backend: { readonly url: string; readonly pid: number };
  readonly authorization: string;
  readonly canary: Child;
  readonly generatorGc: { take(): GcPauses };
  readonly duration: number;
  readonly rounds: number;
  readonly connections: number;
  readonly sessions: number;
  readonly warmup: number;
  readonly progress: (text: string) => void;
  /** Receives every process started here, so the caller stops it if this throws. */
  readonly started: (child: Child) => void;
}

export async function measurePaths(context: PathsContext): Promise<Results> {
  const { authorization, backend, canary, generatorGc, progress, started } = context;
  const { duration, rounds, connections, sessions, warmup } = context;
  const gatewayOptions = context.gateway;
  progress('starting the gateway and the relay (child processes)');
  const gateway = await startGatewayProcess(gatewayOptions);
  started(gateway.child);
  const relay = await startRelayProcess(backend.url);
  started(relay.child);
  await sleep(500);
  const rssIdleKiB = rssKiB(gateway.child.pid);

  const gatewayPool = endpoint(gateway.url, connections);
  const relayPool = endpoint(relay.url, connections);
  const directPool = endpoint(backend.url, connections);

  // The note every call reads, created through the gateway (so every path sees the same user).
  const setupSession = await openSession(gatewayPool, authorization);
  const created = await callInSession(gatewayPool, authorization, setupSession, 'create_note', {
    title: 'bench',
    content: 'the note every benchmark call reads',
  });
  const uid = /"uid":"([0-9a-f-]{36})"/.exec(created ?? '')?.[1];
  if (uid === undefined) throw new Error(`create_note failed: ${created ?? '(error)'}`);

  // 2025 era: one session per worker, as C separate clients would have.
  const mcpSessions: McpSession[] = [];
  for (let i = 0; i < connections; i += 1) {
    mcpSessions.push(await openSession(gatewayPool, authorization));
  }
  const sends: Record<PathName, Send> = {
    'gateway-2025': async (slot) =>
      (await callInSession(
        gatewayPool,
        authorization,
        mcpSessions[slot % connections] ?? setupSession,
        'get_note',
        { uid },
      )) !== undefined,
    'gateway-2026': async () =>
      (await callStateless(gatewayPool, authorization, 'get_note', { uid })) !== undefined,
    relay: await directSender(
      relayPool,
      authorization,
      gatewayOptions.tenant,
      gatewayOptions.tenantSecret,
      uid,
    ),
    direct: await directSender(
      directPool,
      authorization,
      gatewayOptions.tenant,
      gatewayOptions.tenantSecret,
      uid,
    ),
  };
  for (const [name, sender] of Object.entries(sends)) {
    if (!(await sender(0))) throw new Error(`a first ${name} call failed`);
  }
  const hopPid = (name: PathName) =>
    name === 'direct' ? undefined : name === 'relay' ? relay.child.pid : gateway.child.pid;

  // Every path once before any measurement: the first measured phase would otherwise also
  // pay for compiling code that the processes share with the later phases.
  const ALL = ['gateway-2025', 'gateway-2026', 'relay', 'direct'] as const;
  for (const name of ALL) {
    progress(`warm-up: ${name} (${warmup} s)`);
    await closedLoop(sends[name], connections, warmup);
  }

  const peaks = new Map<PathName, { result: ClosedLoopResult; cpu: CpuUsed }>();
  let rssLoadKiB = 0;
  for (const name of ALL) {
    progress(`peak throughput: ${name} (${warmup} s warm-up + ${duration} s)`);
    await closedLoop(sends[name], connections, warmup);
    const sampler = sampleRss(gateway.child.pid);
    peaks.set(
      name,
      await withCpu({ hop: hopPid(name), backend: backend.pid }, () =>
        closedLoop(sends[name], connections, duration),
      ),
    );
    const rss = sampler.stop();
    if (isGatewayPath(name)) rssLoadKiB = Math.max(rssLoadKiB, rss);
  }

  const rate = (name: GatewayPath) =>
    Math.max(1, Math.floor((peaks.get(name)?.result.perSecond ?? 0) / 2));
  const rates = { 'gateway-2025': rate('gateway-2025'), 'gateway-2026': rate('gateway-2026') };
  const runRound = async (name: PathName, at: number): Promise<Round> => {
    const { round, gatewayRssKiB } = await measureRound({
      send: sends[name],
      rate: at,
      seconds: duration / rounds,
      connections,
      pids: { hop: hopPid(name), backend: backend.pid },
      gateway: gateway.child,
      gatewayOnPath: isGatewayPath(name),
      canary,
      generatorGc,
    });
    if (isGatewayPath(name)) rssLoadKiB = Math.max(rssLoadKiB, gatewayRssKiB);
    return round;
  };
  const announce = (at: number) => (round: number, turn: readonly PathName[]) => {
    progress(
      `latency at ${int(at)} calls/s, round ${round + 1}/${rounds}: ${turn.join(', ')} (${duration / rounds} s each)`,
    );
  };
  const latencyAt = (gatewayPath: GatewayPath): Promise<LatencyPhase[]> =>
    interleaved(
      ['direct', 'relay', gatewayPath],
      rounds,
      (name) => runRound(name, rates[gatewayPath]),
      announce(rates[gatewayPath]),
    );
  // The machine's speed drifts within minutes, and R was fixed from the peak phase: the
  // direct path's peak again, right after each gateway path's rounds, shows whether R was
  // still about half of what the machine could do while they ran.
  const speedCheck = async (): Promise<number> => {
    progress(`machine check: direct peak again (${duration / 2} s)`);
    await closedLoop(sends.direct, connections, PRIME_SECONDS);
    return (await closedLoop(sends.direct, connections, duration / 2)).perSecond;
  };
  const latency2025 = await latencyAt('gateway-2025');
  const check2025 = await speedCheck();
  const latency2026 = await latencyAt('gateway-2026');
  const check2026 = await speedCheck();
  // The floor: the bare relay at half of its own peak, as a gateway that did no work of its
  // own would be measured. What the targets ask of any Node process on the path, here.
  const floorRate = Math.max(1, Math.floor((peaks.get('relay')?.result.perSecond ?? 0) / 2));
  const floor = {
    rate: floorRate,
    phases: await interleaved(
      ['direct', 'relay'],
      rounds,
      (name) => runRound(name, floorRate),
      announce(floorRate),
    ),
  };
  const latency = { 'gateway-2025': latency2025, 'gateway-2026': latency2026 };
  const directAfter = { 'gateway-2025': check2025, 'gateway-2026': check2026 };
  await gatewayPool.pool.close();
  await relayPool.pool.close();
  await directPool.pool.close();
  const problems = gateway.child.lines.filter((line) => /"level":"(warn|error|fatal)"/.test(line));
  await gateway.child.stop();

  // Memory per idle session, on a fresh gateway so load-phase garbage does not blur it.
  progress(`memory: opening ${int(sessions)} idle 2025-era sessions on a fresh gateway`);
  const sessionMemory = await idleSessionMemory(
    gatewayOptions,
    authorization,
    sessions,
    warmup,
    started,
  );
  return {
    generatorGcForced: globalThis.gc !== undefined,
    connections,
    duration,
    warmup,
    rounds,
    sessions,
    gatewayNodeFlags: gatewayOptions.nodeFlags,
    peaks,
    rates,
    latency,
    directAfter,
    floor,
    memory: {
      rssIdleKiB,
      rssLoadKiB,
      ...sessionMemory,
    },
    problems,
  };
}
