/**
 * Noisy-neighbour benchmark (issue #16, item 2): how one principal with many hanging calls affects
 * another principal's latency, with TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL at its default (32) and
 * with no practical cap. Prints figures; asserts nothing. Run: npm run bench:neighbour
 *
 * The embedded API runs as a child process behind a small forwarder in this process that holds
 * every request for one uid unanswered (a hung API call). Two gateway processes, alike but for
 * the cap, sit in front of it. A quiet user calls get_note in an open loop at a modest rate while
 * a noisy user keeps HANGING calls for the hung uid in flight (a finished or refused one is sent
 * again after 100 ms). Rounds alternate between the two gateways, with and without the neighbour.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request, Agent } from 'node:http';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { startBackendProcess, startGatewayProcess } from './lib/children.ts';
import { openLoop, percentiles } from './lib/load.ts';
import { callInSession, endpoint, openSession, type Endpoint } from './lib/mcp.ts';
import { cpuMs } from './lib/processes.ts';

const TENANT = 'bench';
const HUNG_UID = '00000000-0000-4000-8000-00000000dead';
const HANGING = 150;
const RATE = Number(process.env['NEIGHBOUR_RATE'] ?? 200);
const ROUND_SECONDS = Number(process.env['NEIGHBOUR_ROUND_SECONDS'] ?? 4);
const ROUNDS = Number(process.env['NEIGHBOUR_ROUNDS'] ?? 3);
const TOOL_TIMEOUT_MS = 5_000;

const jwtSecret = randomBytes(24).toString('base64url');
const tenantSecret = randomBytes(24).toString('base64url');
const bearer = async (sub: string) =>
  `Bearer ${await new SignJWT({ sub, tenant_id: TENANT })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(jwtSecret))}`;

/** Forwards to the API, except that requests for HUNG_UID are never answered. */
async function startHangingFront(target: string): Promise<{ url: string; close(): void }> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    if (req.url?.includes(HUNG_UID) === true) return; // held until the gateway gives up
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
      agent.destroy();
    },
  };
}

interface Target {
  readonly name: string;
  readonly to: Endpoint;
  readonly pid: number;
  readonly quietAuth: string;
  readonly quietSession: Awaited<ReturnType<typeof openSession>>;
  readonly noteUid: string;
}

async function prepare(name: string, url: string, pid: number): Promise<Target> {
  const to = endpoint(url, 64);
  const quietAuth = await bearer(`quiet-${name}`);
  const quietSession = await openSession(to, quietAuth);
  const created = await callInSession(to, quietAuth, quietSession, 'create_note', {
    title: 'quiet',
    content: 'x',
  });
  const noteUid = /"uid":"([^"]+)"/.exec(created ?? '')?.[1];
  if (noteUid === undefined) throw new Error(`${name}: create_note failed`);
  return { name, to, pid, quietAuth, quietSession, noteUid };
}

/** Keeps HANGING calls for the hung uid in flight until `stop` aborts. */
async function neighbour(target: Target, stop: AbortSignal) {
  const auth = await bearer(`noisy-${target.name}`);
  const to = endpoint(target.to.origin, HANGING + 8);
  const session = await openSession(to, auth);
  let refused = 0;
  const loop = async () => {
    while (!stop.aborted) {
      const answer = await callInSession(to, auth, session, 'get_note', { uid: HUNG_UID }).catch(
        () => undefined,
      );
      if (answer === undefined) refused += 1;
      await sleep(100);
    }
  };
  const loops = Array.from({ length: HANGING }, loop);
  return {
    done: async () => {
      // Outstanding hung calls end at the gateway's tool deadline.
      await Promise.allSettled(loops);
      await to.pool.destroy();
      return refused;
    },
  };
}

type Sample = { latency: Float64Array; ok: number; failed: number; cpu: number };

async function round(target: Target, noisy: boolean): Promise<Sample> {
  const stop = new AbortController();
  const noise = noisy ? await neighbour(target, stop.signal) : undefined;
  if (noisy) await sleep(1_000); // the neighbour's calls reach the API and hang
  const cpuBefore = cpuMs(target.pid);
  const result = await openLoop(
    () =>
      callInSession(target.to, target.quietAuth, target.quietSession, 'get_note', {
        uid: target.noteUid,
      }).then((text) => text !== undefined),
    RATE,
    ROUND_SECONDS,
    8,
  );
  const cpu = cpuMs(target.pid) - cpuBefore;
  stop.abort();
  await noise?.done();
  return { latency: result.samples.latency, ok: result.ok, failed: result.failed, cpu };
}

const join = (samples: readonly Sample[]) => {
  const all = new Float64Array(samples.reduce((n, s) => n + s.latency.length, 0));
  let at = 0;
  for (const s of samples) {
    all.set(s.latency, at);
    at += s.latency.length;
  }
  return {
    ...percentiles(all),
    ok: samples.reduce((n, s) => n + s.ok, 0),
    failed: samples.reduce((n, s) => n + s.failed, 0),
  };
};

async function main() {
  const backend = await startBackendProcess(jwtSecret, tenantSecret);
  const front = await startHangingFront(backend.url);
  const common = {
    backendUrl: front.url,
    jwtSecret,
    tenantSecret,
    tenant: TENANT,
    maxSessions: 1_000,
    nodeFlags: [],
    toolTimeoutMs: TOOL_TIMEOUT_MS,
  };
  const capped = await startGatewayProcess({ ...common, maxInflightPerPrincipal: 32 });
  const uncapped = await startGatewayProcess({ ...common, maxInflightPerPrincipal: 100_000 });
  const targets = [
    await prepare('cap 32 (default)', capped.url, capped.child.pid),
    await prepare('no cap', uncapped.url, uncapped.child.pid),
  ];
  const results = new Map<string, Sample[]>();
  for (let r = 0; r < ROUNDS; r += 1) {
    for (const target of r % 2 === 0 ? targets : [...targets].reverse()) {
      for (const noisy of [false, true]) {
        const key = `${target.name}, ${noisy ? `${HANGING} hung calls beside` : 'alone'}`;
        const sample = await round(target, noisy);
        results.set(key, [...(results.get(key) ?? []), sample]);
        process.stderr.write(`round ${r + 1}: ${key} done\n`);
      }
    }
  }
  const fmt = (ms: number) => (Number.isNaN(ms) ? '–' : `${ms.toFixed(2)} ms`);
  process.stdout.write(
    `\nQuiet user: get_note at ${RATE}/s, ${ROUNDS} × ${ROUND_SECONDS} s per row, tool deadline ${TOOL_TIMEOUT_MS} ms\n\n`,
  );
  process.stdout.write(
    '| Gateway, neighbour | quiet calls ok / failed | p50 | p99 | gateway CPU per s |\n',
  );
  process.stdout.write('| --- | --- | --- | --- | --- |\n');
  for (const [key, samples] of results) {
    const j = join(samples);
    // The neighbour's own calls (refused or hanging) count here too.
    const cpu = samples.reduce((n, s) => n + s.cpu, 0) / (samples.length * ROUND_SECONDS);
    process.stdout.write(
      `| ${key} | ${j.ok} / ${j.failed} | ${fmt(j.p50)} | ${fmt(j.p99)} | ${cpu.toFixed(0)} ms |\n`,
    );
  }
  await Promise.all([capped.child.stop(), uncapped.child.stop(), backend.child.stop()]);
  front.close();
  for (const target of targets) await target.to.pool.destroy();
}

await main();
