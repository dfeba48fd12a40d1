/**
 * Gateway benchmark: what the MCP gateway costs on top of calling the ToolBridge API directly.
 * Prints figures next to the targets; asserts nothing. Run: npm run bench:gateway -- [options]
 *
 * The embedded API, the gateway (`node src/main.ts`, as deployed) and a reference relay run as
 * separate child processes, so the RSS figures are the gateway's own. The relay (lib/relay.ts) is
 * the least a Node proxy can do: it forwards the direct path's requests and answers. The load
 * generator (undici pools, keep-alive) runs here. An idle Node process with the same probe runs
 * beside them: its event-loop delay is the scheduling delay this machine adds to any process.
 * Phases, in one run:
 *   0. warm-up: every path for W s, so no measured phase pays for the first compilation;
 *   1. peak throughput, closed loop of C workers for D s each: MCP tools/call get_note through
 *      the gateway (2025-era session, and 2026-07-28 stateless), and GET /v1/notes/{uid} through
 *      the relay and direct;
 *   2. latency at R = half of each gateway path's own peak, open loop at a fixed rate: direct,
 *      relay and that gateway path, interleaved in K rounds of D/K s each (order rotated per
 *      round, so a slow spell of the machine falls on all three alike); percentiles over all
 *      rounds' calls; added latency = gateway − direct, and the relay shows how much of it any
 *      extra Node process on the path costs here; after each gateway path's rounds, the direct
 *      path's peak again for D/2 s, as a check that the machine had not slowed meanwhile;
 *      then the floor: direct and the relay alone, at half of the relay's own peak, which is
 *      where a gateway that did no work of its own would be measured;
 *   3. memory per idle session: N 2025-era sessions opened on a fresh, warmed-up gateway; the
 *      JS heap + external memory retained after a full GC, / N (through a SIGUSR2 probe
 *      preloaded with --expose-gc, no inspector), and the RSS delta / N for reference.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import {
  startBackendProcess,
  startCanaryProcess,
  startGatewayProcess,
  startRelayProcess,
  withCpu,
  type CpuUsed,
  type GatewayOptions,
} from './lib/children.ts';
import { watchGc } from './lib/gc.ts';
import { closedLoop, type ClosedLoopResult, type Send } from './lib/load.ts';
import { directSender } from './lib/direct-sender.ts';
import { callInSession, callStateless, endpoint, openSession, type McpSession } from './lib/mcp.ts';
import { options } from './lib/options.ts';
import { idleSessionMemory } from './lib/memory-phase.ts';
import { rssKiB, sampleRss, type Child } from './lib/processes.ts';
import { PRIME_SECONDS, interleaved, measureRound, type Round } from './lib/rounds.ts';
import { int } from './lib/format.ts';
import { printReport } from './lib/report.ts';
import {
  isGatewayPath,
  type GatewayPath,
  type LatencyPhase,
  type PathName,
} from './lib/results.ts';

const TENANT = 'bench';

async function main(): Promise<void> {
  const { duration, rounds, connections, sessions, warmup, gatewayNodeFlags } = options();
  const progress = (text: string) => process.stderr.write(`… ${text}\n`);

  const jwtSecret = randomBytes(32).toString('base64url');
  const tenantSecret = randomBytes(32).toString('base64url');
  const token = await new SignJWT({ tenant_id: TENANT })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(jwtSecret));
  const authorization = `Bearer ${token}`;

  progress('starting the embedded API, the gateway and the relay (child processes)');
  const backend = await startBackendProcess(jwtSecret, tenantSecret);
  const gatewayOptions: GatewayOptions = {
    backendUrl: backend.url,
    jwtSecret,
    tenantSecret,
    tenant: TENANT,
    maxSessions: sessions,
    nodeFlags: gatewayNodeFlags,
  };
  const gateway = await startGatewayProcess(gatewayOptions);
  const relay = await startRelayProcess(backend.url);
  const canary = await startCanaryProcess();
  const children: Child[] = [canary, backend.child, relay.child, gateway.child];
  try {
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
      relay: await directSender(relayPool, authorization, TENANT, tenantSecret, uid),
      direct: await directSender(directPool, authorization, TENANT, tenantSecret, uid),
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
        await withCpu({ hop: hopPid(name), backend: backend.child.pid }, () =>
          closedLoop(sends[name], connections, duration),
        ),
      );
      const rss = sampler.stop();
      if (isGatewayPath(name)) rssLoadKiB = Math.max(rssLoadKiB, rss);
    }

    const rate = (name: GatewayPath) =>
      Math.max(1, Math.floor((peaks.get(name)?.result.perSecond ?? 0) / 2));
    const rates = { 'gateway-2025': rate('gateway-2025'), 'gateway-2026': rate('gateway-2026') };
    // The generator's own pauses delay the answers it times, on every path alike.
    const generatorGc = watchGc();
    const runRound = async (name: PathName, at: number): Promise<Round> => {
      const { round, gatewayRssKiB } = await measureRound({
        send: sends[name],
        rate: at,
        seconds: duration / rounds,
        connections,
        pids: { hop: hopPid(name), backend: backend.child.pid },
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
    const problems = gateway.child.lines.filter((line) =>
      /"level":"(warn|error|fatal)"/.test(line),
    );
    await gateway.child.stop();

    // Memory per idle session, on a fresh gateway so load-phase garbage does not blur it.
    progress(`memory: opening ${int(sessions)} idle 2025-era sessions on a fresh gateway`);
    const sessionMemory = await idleSessionMemory(
      gatewayOptions,
      authorization,
      sessions,
      warmup,
      (child) => {
        children.push(child);
      },
    );

    printReport(
      {
        args: process.argv.slice(2),
        generatorGcForced: globalThis.gc !== undefined,
        connections,
        duration,
        warmup,
        rounds,
        sessions,
        gatewayNodeFlags,
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
      },
      (text) => process.stdout.write(text),
    );
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}

await main();
