import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { findOrBuildK6 } from '../../load/k6-binary.ts';
export { findOrBuildK6 } from '../../load/k6-binary.ts';
import { onCleanup } from './loopback.ts';
import { recordOutput } from './secret-ledger.ts';

/**
 * One `k6 run` of a script in load/k6/, as a test's child process (killed after the test if still
 * running), thresholds off: the test asserts on the numbers itself. Resolves with k6's exit code,
 * what it printed, and the counts from its --summary-export. k6 is found or built as load/run.ts
 * does (a build takes minutes: call findOrBuildK6 in a hook with a long timeout first).
 */

const K6_DIR = resolve(import.meta.dirname, '../../load/k6');

const Count = z.object({ count: z.number() });
/** A k6 Rate: `passes` counts the samples that were true (for an error rate: the errors). */
const Rate = z.object({ passes: z.number(), fails: z.number() });
const Check = z.object({ name: z.string(), passes: z.number(), fails: z.number() });
const Summary = z.object({
  metrics: z.object({
    http_reqs: Count,
    http_req_failed: Rate,
    checks: Rate,
    mcp_errors: Rate,
    mcp_tool_calls: Count,
    mcp_sessions: Count.optional(),
    /** Calls k6 never started for want of a free VU: none sent, so none the gateway lost. */
    dropped_iterations: Count.optional(),
  }),
  root_group: z.object({ checks: z.record(z.string(), Check) }),
});
export type K6Summary = z.infer<typeof Summary>;

export interface K6Run {
  readonly code: number | null;
  readonly output: string;
  readonly summary: K6Summary;
}

export interface K6Process {
  /** Resolves once k6 has exited. */
  readonly finished: Promise<K6Run>;
}

export async function startK6(
  script: string,
  env: Readonly<Record<string, string>>,
): Promise<K6Process> {
  const k6 = await findOrBuildK6(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'toolbridge-k6-'));
  const summaryFile = join(dir, 'summary.json');
  const child = spawn(
    k6,
    [
      'run',
      '--quiet',
      '--no-color',
      '--no-thresholds',
      '--summary-export',
      summaryFile,
      join(K6_DIR, script),
    ],
    { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  // k6 prints what its requests got back when a check fails: the gateway's error texts.
  recordOutput('k6', () => output);
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (output += chunk));
  }
  const exited = once(child, 'exit');
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const finished = exited.then(([code]: unknown[]): K6Run => {
    let exported: unknown;
    try {
      exported = JSON.parse(readFileSync(summaryFile, 'utf8'));
    } catch {
      throw new Error(`k6 exited (${String(code)}) with no summary:\n${output.slice(-2000)}`);
    }
    return {
      code: typeof code === 'number' ? code : null,
      output,
      summary: Summary.parse(exported),
    };
  });
  return { finished };
}
