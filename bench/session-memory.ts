/**
 * Memory per idle session with the sessions in memory (issue 17 asks for at most 10 kB): N
 * sessions opened over loopback as Claude Desktop through mcp-remote opens them, on a fresh
 * gateway process (`node src/main.ts`, no TOOLBRIDGE_REDIS_URL) in front of the embedded API.
 * Reported per session: the JS heap + external memory retained after a full GC (through the
 * SIGUSR2 probe bench/gateway.ts preloads) and the RSS growth. 2025-era Streamable HTTP sessions
 * first, then, on another fresh gateway, legacy SSE sessions, each holding its stream (and so a
 * socket) open. What a session costs in Redis: npm run bench:redis-bytes.
 * Prints figures; asserts nothing. Run: npm run bench:session-memory -- [options]
 */
import { parseArgs } from 'node:util';
import { benchCredentials } from './lib/credentials.ts';
import { startBackendProcess, type GatewayOptions } from './lib/children.ts';
import { int, kB, mib, row } from './lib/format.ts';
import { MCP_REMOTE_CLIENT } from './lib/mcp.ts';
import {
  idleSessionMemory,
  perSession,
  sseSessions,
  streamableSessions,
  type IdleSessions,
  type SessionMemory,
} from './lib/memory-phase.ts';
import type { Child } from './lib/processes.ts';

const USAGE = `Usage: node bench/session-memory.ts [-n sessions] [-w seconds] [--no-sse]

  -n, --sessions <n>   idle sessions per kind (default 5000)
  -w, --warmup <s>     seconds of calls on each fresh gateway before the baseline (default 2)
  --no-sse             2025-era sessions only, no legacy SSE sessions
`;
const TENANT = 'bench';
const TARGET_KB = 10;

function options() {
  try {
    const { values } = parseArgs({
      options: {
        sessions: { type: 'string', short: 'n', default: '5000' },
        warmup: { type: 'string', short: 'w', default: '2' },
        sse: { type: 'boolean', default: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowNegative: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const sessions = Number(values.sessions);
    const warmup = Number(values.warmup);
    if (!Number.isInteger(sessions) || sessions <= 0)
      throw new Error('-n expects a positive integer');
    if (!(warmup > 0)) throw new Error('-w expects a positive number');
    return { sessions, warmup, sse: values.sse };
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(64);
  }
}

function report(
  sessions: number,
  measured: readonly { kind: IdleSessions; memory: SessionMemory }[],
  out: (text: string) => void,
): void {
  const { clientInfo, protocolVersion, capabilities } = MCP_REMOTE_CLIENT;
  out(`\nMemory per idle session, sessions in memory (N=${int(sessions)} per kind, one user)\n`);
  out(
    `  client    ${clientInfo.name} ${clientInfo.version}, protocol ${protocolVersion}, capabilities ${Object.keys(capabilities).join(', ')}\n`,
  );
  out(`  node      ${process.version}; each kind on a fresh gateway process, over loopback\n`);
  const widths = [22, 10, 9, 9, 11, 22, 22];
  out(row(['kind', 'retained', 'JS heap', 'external', 'RSS growth', 'heap used', 'RSS'], widths));
  for (const { kind, memory } of measured) {
    const bytes = perSession(memory, sessions);
    out(
      row(
        [
          kind.label,
          kB(bytes.retained),
          kB(bytes.heap),
          kB(bytes.external),
          kB(bytes.rss),
          `${mib(memory.heapBefore / 1024)} -> ${mib(memory.heapAfter / 1024)}`,
          `${mib(memory.beforeRssKiB)} -> ${mib(memory.afterRssKiB)}`,
        ],
        widths,
      ),
    );
  }
  out(
    '  retained: JS heap + external memory after a full GC, per session; RSS growth includes V8 heap sizing and, for SSE, socket buffers\n',
  );
  const streamable = measured.find(({ kind }) => kind.label === streamableSessions().label);
  if (streamable !== undefined) {
    const retained = perSession(streamable.memory, sessions).retained;
    out(
      `  target: <= ${TARGET_KB} kB per idle 2025-era session (issue #17): ${kB(retained)}, ${retained / 1000 <= TARGET_KB ? 'PASS' : 'FAIL'}\n`,
    );
  }
}

async function main(): Promise<void> {
  const { sessions, warmup, sse } = options();
  const progress = (text: string) => process.stderr.write(`… ${text}\n`);
  const { jwtSecret, tenantSecret, authorization } = await benchCredentials(TENANT);

  progress('starting the embedded API (child process)');
  const backend = await startBackendProcess(jwtSecret, tenantSecret);
  const children: Child[] = [backend.child];
  const gateway: GatewayOptions = {
    backendUrl: backend.url,
    jwtSecret,
    tenantSecret,
    tenant: TENANT,
    maxSessions: sessions,
    nodeFlags: [],
  };
  try {
    const kinds = [streamableSessions(), ...(sse ? [sseSessions()] : [])];
    const measured = [];
    for (const kind of kinds) {
      progress(`opening ${int(sessions)} idle ${kind.label}s on a fresh gateway`);
      const memory = await idleSessionMemory(
        gateway,
        authorization,
        sessions,
        warmup,
        (child) => {
          children.push(child);
        },
        kind,
      );
      measured.push({ kind, memory });
    }
    report(sessions, measured, (text) => process.stdout.write(text));
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}

await main();
