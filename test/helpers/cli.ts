import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { DEV_BANNER_TOKEN, recordChild, recordText, registerEnvSecrets } from './secret-ledger.ts';

const MAIN = resolve(import.meta.dirname, '../../src/main.ts');

/**
 * `keys new` prints a new raw service key and `token` a client token, on stdout, once, by design:
 * that stream is the product's answer, not a log, and is not scanned for secrets. Their stderr
 * is, as is every other command's stdout.
 */
export function stdoutOf(args: readonly string[]): 'scan' | 'product output' {
  const [command, sub] = args.filter((arg) => !arg.startsWith('-'));
  return (command === 'keys' && sub === 'new') || command === 'token' ? 'product output' : 'scan';
}

/** The command's name for a finding: never its arguments, which may hold a token. */
const nameOf = (args: readonly string[]): string =>
  `toolbridge-mcp ${args.find((arg) => !arg.startsWith('-')) ?? 'serve'}`;

/** Output of a CLI run some other way (spawnSync), to the secret ledger as startCli's goes. */
export function recordCliOutput(
  args: readonly string[],
  output: { readonly stdout: string; readonly stderr: string },
): void {
  if (stdoutOf(args) === 'scan') {
    recordText(`${nameOf(args)} stdout`, output.stdout, [DEV_BANNER_TOKEN]);
  }
  recordText(`${nameOf(args)} stderr`, output.stderr);
}

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
  registerEnvSecrets(env);
  recordChild(child, nameOf(args), { stdout: stdoutOf(args) });
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
