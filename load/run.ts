#!/usr/bin/env node
/**
 * `node load/run.ts smoke|ramp|steady [k6 run options…]`: a k6 load run against a gateway of this
 * checkout. Finds k6 (PATH, then `go env GOBIN`/`GOPATH`/bin; else builds it with
 * `go install go.k6.io/k6@v1.8.1`), starts the embedded ToolBridge API (load/backend.ts) and the
 * gateway (src/main.ts) as child processes on free loopback ports with secrets made for this run,
 * waits until the gateway answers, runs load/k6/<profile>.js, stops both children (SIGTERM, then
 * wait) and exits with k6's exit code: 0 when every threshold held, 99 when one was crossed.
 * Options after the profile go to `k6 run` as they are (e.g. `-e RAMP_PEAK=300`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { freePort } from '../bench/lib/processes.ts';
import { K6Unavailable, findOrBuildK6 } from './k6-binary.ts';

const PROFILES = ['smoke', 'ramp', 'steady'] as const;
type Profile = (typeof PROFILES)[number];
const TENANT_ID = 'load';
const EX_USAGE = 64;
const EX_UNAVAILABLE = 69;
const EX_SOFTWARE = 70;
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const LOAD_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(LOAD_DIR);

const USAGE = `Usage: node load/run.ts <${PROFILES.join('|')}> [k6 run options…]

  smoke   ~15 s, 4 VUs: every data tool, then the mix; for CI
  ramp    ramping-arrival-rate up to RAMP_PEAK tool calls/s (default 500); a benchmark
  steady  constant-arrival-rate, STEADY_RATE tool calls/s (default 40) for 20 s; fault tests

Options after the profile go to \`k6 run\`, e.g. -e RAMP_PEAK=300 -e RAMP_HOLD=2m.
`;

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/**
 * Ctrl-C or SIGTERM: k6 (if running) is told and ends its test with a summary; start-up is
 * abandoned; either way the children are stopped before the runner exits. The children run in
 * their own process groups, so a terminal's Ctrl-C reaches them only through this runner.
 */
const interruption: { signal: NodeJS.Signals | undefined; k6: ChildProcess | undefined } = {
  signal: undefined,
  k6: undefined,
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interruption.signal = signal;
    const k6 = interruption.k6;
    if (k6 !== undefined && !hasExited(k6)) k6.kill(signal);
  });
}

const say = (text: string) => process.stdout.write(`load: ${text}\n`);

class RunError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

// --- child processes -------------------------------------------------------------------------

interface Child {
  readonly label: string;
  readonly process: ChildProcess;
  /** Everything it wrote, stdout and stderr, line by line. */
  readonly lines: string[];
  readonly exited: Promise<unknown>;
}

function spawnNode(label: string, script: string, env: Record<string, string>, cwd: string): Child {
  const child = spawn(process.execPath, [script], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    });
  }
  return { label, process: child, lines, exited: once(child, 'exit') };
}

async function stop(child: Child): Promise<void> {
  if (hasExited(child.process)) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await child.exited;
  clearTimeout(timer);
}

function failedToStart(child: Child, what: string): RunError {
  return new RunError(`${child.label} ${what}:\n${child.lines.slice(-30).join('\n')}`, EX_SOFTWARE);
}

/** Polls until `probe` returns a value, the child exits, or the time is up. */
async function waitFor<T>(child: Child, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (interruption.signal !== undefined) {
      throw new RunError(
        `interrupted (${interruption.signal})`,
        signalExitCode(interruption.signal),
      );
    }
    if (hasExited(child.process)) throw failedToStart(child, 'exited during start-up');
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw failedToStart(child, `did not come up within ${STARTUP_TIMEOUT_MS / 1000} s`);
}

const BackendLine = z.object({ url: z.string() });

function backendUrl(child: Child): string | undefined {
  for (const line of child.lines) {
    try {
      const parsed = BackendLine.safeParse(JSON.parse(line));
      if (parsed.success) return parsed.data.url;
    } catch {
      // Not the JSON line.
    }
  }
  return undefined;
}

/** True once the gateway answers HTTP at all (an unauthenticated GET /mcp is refused: fine). */
async function answers(url: string): Promise<true | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return true;
  } catch {
    return undefined;
  }
}

// --- summary -----------------------------------------------------------------------------

/** The fields read; others (counts, `thresholds`, …) are dropped by the parse. */
const Metric = z.object({
  rate: z.number().optional(),
  value: z.number().optional(),
  'p(95)': z.number().optional(),
  'p(99)': z.number().optional(),
});
const Summary = z.object({
  metrics: z.object({
    http_reqs: Metric,
    http_req_duration: Metric,
    mcp_tool_calls: Metric.optional(),
    mcp_errors: Metric.optional(),
  }),
});

/** One line from k6's --summary-export: the numbers a benchmark table wants. */
function digest(file: string): string | undefined {
  let parsed;
  try {
    parsed = Summary.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
  if (!parsed.success) return undefined;
  const { http_reqs, http_req_duration, mcp_tool_calls, mcp_errors } = parsed.data.metrics;
  const fixed = (value: number | undefined, digits: number) =>
    value === undefined ? '?' : value.toFixed(digits);
  const errorRate = mcp_errors?.value;
  return [
    `${fixed(http_reqs.rate, 1)} HTTP req/s`,
    `${fixed(mcp_tool_calls?.rate, 1)} tool calls/s`,
    `p95 ${fixed(http_req_duration['p(95)'], 2)} ms`,
    `p99 ${fixed(http_req_duration['p(99)'], 2)} ms`,
    `errors ${fixed(errorRate === undefined ? undefined : errorRate * 100, 2)} %`,
  ].join(', ');
}

// --- main --------------------------------------------------------------------------------

function isProfile(value: string | undefined): value is Profile {
  return PROFILES.some((profile) => profile === value);
}

async function runK6(
  k6: string,
  profile: Profile,
  extra: readonly string[],
  env: Record<string, string>,
  summaryFile: string,
): Promise<number> {
  const args = [
    'run',
    ...(process.stdout.isTTY ? [] : ['--quiet', '--no-color']),
    '--summary-export',
    summaryFile,
    ...extra,
    join(LOAD_DIR, 'k6', `${profile}.js`),
  ];
  // Its own process group too: a terminal's Ctrl-C reaches k6 once, through the handler above.
  const child = spawn(k6, args, { stdio: ['ignore', 'inherit', 'inherit'], env, detached: true });
  interruption.k6 = child;
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('exit', (...result) => {
      resolve(result);
    });
  });
  interruption.k6 = undefined;
  if (typeof code === 'number') return code;
  return signalExitCode(signal ?? 'SIGTERM');
}

function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

async function main(): Promise<number> {
  const [profile, ...extra] = process.argv.slice(2);
  if (profile === '--help' || profile === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!isProfile(profile)) {
    process.stderr.write(USAGE);
    return EX_USAGE;
  }

  const k6 = await findOrBuildK6(say).catch((error: unknown) => {
    throw error instanceof K6Unavailable ? new RunError(error.message, EX_UNAVAILABLE) : error;
  });
  const version = spawnSync(k6, ['version'], { encoding: 'utf8' }).stdout.trim();
  say(`using ${k6} (${version})`);

  const jwtSecret = randomBytes(32).toString('base64url');
  const tenantSecret = randomBytes(32).toString('base64url');
  const workDir = mkdtempSync(join(tmpdir(), 'toolbridge-load-'));
  const children: Child[] = [];
  try {
    // A directory of its own as cwd, so no developer's ./.env reaches the gateway.
    const backend = spawnNode(
      'embedded API',
      join(LOAD_DIR, 'backend.ts'),
      {
        LOAD_JWT_SECRET: jwtSecret,
        LOAD_TENANT_SECRET: tenantSecret,
        LOAD_GO_RATE_LIMIT: process.env['LOAD_GO_RATE_LIMIT'] ?? '',
      },
      workDir,
    );
    children.push(backend);
    const apiUrl = await waitFor(backend, () => Promise.resolve(backendUrl(backend)));

    const port = await freePort();
    const gateway = spawnNode(
      'gateway',
      join(ROOT, 'src', 'main.ts'),
      {
        TOOLBRIDGE_GO_API_BASE_URL: apiUrl,
        TOOLBRIDGE_TENANT_HEADER_SECRET: tenantSecret,
        TOOLBRIDGE_JWT_SECRET: jwtSecret,
        TOOLBRIDGE_TENANT_ID: TENANT_ID,
        TOOLBRIDGE_HOST: '127.0.0.1',
        TOOLBRIDGE_PORT: String(port),
        TOOLBRIDGE_LOG_LEVEL: process.env['TOOLBRIDGE_LOG_LEVEL'] ?? 'warn',
      },
      workDir,
    );
    children.push(gateway);
    const mcpUrl = `http://127.0.0.1:${port}/mcp`;
    await waitFor(gateway, () => answers(mcpUrl));
    say(`gateway ${mcpUrl} in front of the embedded API ${apiUrl}; running k6 profile ${profile}`);

    const summaryFile = join(workDir, 'summary.json');
    const code = await runK6(
      k6,
      profile,
      extra,
      {
        ...process.env,
        MCP_URL: mcpUrl,
        JWT_SECRET: jwtSecret,
        TENANT_ID,
        RUN_ID: `load-${profile}`,
      },
      summaryFile,
    );

    for (const child of children) {
      if (hasExited(child.process)) say(`${child.label} exited during the run`);
      const logged = child.lines.filter((line) => line.trim() !== '' && !line.startsWith('{"url"'));
      if (logged.length > 0) {
        say(`${child.label} wrote ${logged.length} line(s); the last ones:`);
        process.stdout.write(`${logged.slice(-10).join('\n')}\n`);
      }
    }
    const line = digest(summaryFile);
    if (line !== undefined) say(`${profile}: ${line}`);
    say(
      code === 0
        ? 'thresholds held'
        : code === 99
          ? 'thresholds crossed (k6 exit 99)'
          : `k6 exited ${code}`,
    );
    return code;
  } finally {
    // Gateway first, so it drains before its backend goes away.
    for (const child of children.reverse()) await stop(child);
    rmSync(workDir, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof RunError ? error.exitCode : EX_SOFTWARE;
}
