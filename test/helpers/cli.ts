import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

const MAIN = resolve(import.meta.dirname, '../../src/main.ts');

/**
 * `toolbridge-mcp <args>` as a process with a clean environment (PATH only, plus `env`), its
 * output collected. Spawned, not run synchronously, so a backend in the test's own event loop
 * can answer it.
 */
export function startCli(args: readonly string[], env: Record<string, string> = {}, cwd?: string) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    ...(cwd === undefined ? {} : { cwd }),
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(() => child.exitCode);
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Runs the CLI to its end: exit code and output. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
) {
  const cli = startCli(args, env, cwd);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
