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
 *      preloaded with --expose-gc, no inspector), and the RSS delta / N for reference;
 *   4. the session store (lib/store-phase.ts): two more gateways, one with its sessions in
 *      memory and one in a redis-server started on loopback, serving 2025-era calls on open
 *      sessions: peak and latency in alternating rounds, gateway and redis-server CPU apart.
 *      `--only redis` runs this phase alone, `--no-redis` leaves it out;
 *   5. the backend auth modes (lib/auth-phase.ts, issue 18): three more gateways, forwarding the
 *      client's token, minting a backend token per user, and taking an agent runtime's service
 *      key with a per-call identity token (mint behind it), for the same 100 users, serving 2025-era calls
 *      on open sessions: peak, gateway CPU per call and latency in alternating rounds, each mode
 *      against forward; failed calls counted and described (exit code 1 if any).
 *      `--only auth-modes` runs this phase alone, `--no-auth-modes` leaves it out.
 */
import { compareAuthModes } from './lib/auth-phase.ts';
import { benchCredentials } from './lib/credentials.ts';
import { startBackendProcess, startCanaryProcess, type GatewayOptions } from './lib/children.ts';
import { watchGc } from './lib/gc.ts';
import { options } from './lib/options.ts';
import { measurePaths } from './lib/paths-phase.ts';
import type { Child } from './lib/processes.ts';
import { printAuthReport } from './lib/report-auth.ts';
import { intro, printReport } from './lib/report.ts';
import { printStoreReport } from './lib/report-store.ts';
import { compareStores } from './lib/store-phase.ts';

const TENANT = 'bench';

async function main(): Promise<void> {
  const {
    paths,
    redis,
    authModes,
    duration,
    rounds,
    connections,
    sessions,
    warmup,
    gatewayNodeFlags,
  } = options();
  const progress = (text: string) => process.stderr.write(`… ${text}\n`);

  const { jwtSecret, tenantSecret, authorization } = await benchCredentials(TENANT);

  progress('starting the embedded API and an idle canary (child processes)');
  const backend = await startBackendProcess(jwtSecret, tenantSecret);
  const canary = await startCanaryProcess();
  const children: Child[] = [canary, backend.child];
  const gateway: GatewayOptions = {
    backendUrl: backend.url,
    jwtSecret,
    tenantSecret,
    tenant: TENANT,
    maxSessions: sessions,
    nodeFlags: gatewayNodeFlags,
  };
  // The generator's own pauses delay the answers it times, on every path alike.
  const generatorGc = watchGc();
  const common = {
    gateway,
    authorization,
    canary,
    generatorGc,
    duration,
    rounds,
    connections,
    warmup,
    progress,
  };
  try {
    const pathResults = paths
      ? await measurePaths({
          ...common,
          backend: { url: backend.url, pid: backend.child.pid },
          sessions,
          started: (child) => {
            children.push(child);
          },
        })
      : undefined;
    const storeResults = redis
      ? await compareStores({ ...common, backendPid: backend.child.pid })
      : undefined;
    const authResults = authModes
      ? await compareAuthModes({ ...common, backendPid: backend.child.pid })
      : undefined;
    const out = (text: string) => process.stdout.write(text);
    intro(process.argv.slice(2), globalThis.gc !== undefined, out);
    if (pathResults !== undefined) printReport(pathResults, out);
    if (storeResults !== undefined) printStoreReport(storeResults, out);
    if (authResults !== undefined) {
      printAuthReport(authResults, out);
      // Figures of failing calls are not the modes' cost: say so to whatever runs the bench.
      if (Object.values(authResults.failed).some((count) => count > 0)) process.exitCode = 1;
    }
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}

await main();
