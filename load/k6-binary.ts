/**
 * Where k6 is: on PATH, else in `go env GOBIN`/`GOPATH`/bin; else built there with
 * `go install go.k6.io/k6@v1.8.1`. Shared by load/run.ts and the tests that run k6.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const K6_MODULE = 'go.k6.io/k6@v1.8.1';

/** k6 is not there and cannot be built (no Go, or the build failed). */
export class K6Unavailable extends Error {}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/** Where `go install` puts binaries: GOBIN, else the first GOPATH entry's bin. */
function goBinDir(go: string): string | undefined {
  const result = spawnSync(go, ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const [gobin = '', gopath = ''] = result.stdout.split('\n');
  if (gobin.trim() !== '') return gobin.trim();
  const first = gopath.trim().split(delimiter)[0];
  return first === undefined || first === '' ? undefined : join(first, 'bin');
}

/** The k6 executable's path; `say` hears about a build (minutes, the first time). */
export async function findOrBuildK6(say: (text: string) => void): Promise<string> {
  const found = onPath('k6');
  if (found !== undefined) return found;
  const go = onPath('go');
  const binDir = go === undefined ? undefined : goBinDir(go);
  if (binDir !== undefined && isExecutable(join(binDir, 'k6'))) return join(binDir, 'k6');
  if (go === undefined || binDir === undefined) {
    throw new K6Unavailable(
      `k6 is not on PATH and Go is not installed to build it (go install ${K6_MODULE})`,
    );
  }
  say(`k6 not found: building it with \`go install ${K6_MODULE}\` (about 2 min the first time)…`);
  const started = Date.now();
  const build = spawn(go, ['install', K6_MODULE], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => {
    build.once('exit', resolve);
  });
  if (code !== 0 || !isExecutable(join(binDir, 'k6'))) {
    throw new K6Unavailable(`go install ${K6_MODULE} failed (exit ${String(code)})`);
  }
  say(`built ${join(binDir, 'k6')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return join(binDir, 'k6');
}
