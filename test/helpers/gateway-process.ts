import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { onCleanup } from './loopback.ts';
import { recordChild, registerEnvSecrets } from './secret-ledger.ts';

const MAIN = resolve(import.meta.dirname, '../../src/main.ts');

/**
 * `node src/main.ts` as Fly runs it, with PATH and `env` only, killed after the test if still
 * running. Resolves with its MCP origin once it logs that it listens, and every line it writes
 * (stderr chunks as they come).
 */
export async function startGatewayProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registerEnvSecrets(env);
  recordChild(child, 'gateway process');
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  const lines: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => lines.push(chunk));
  child.stdout.setEncoding('utf8');
  const url = await new Promise<string>((done, fail) => {
    child.stdout.on('data', (chunk: string) => {
      lines.push(...chunk.split('\n').filter((line) => line !== ''));
      const listening = lines
        .map((line) => /"url":"(http:[^"]+)\/mcp"/.exec(line)?.[1])
        .find(Boolean);
      if (listening !== undefined) done(listening);
    });
    child.once('exit', () => {
      fail(new Error(`gateway exited early: ${lines.join('\n')}`));
    });
  });
  return { child, url, lines };
}
