import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * A `node` older than 24 outside node_modules (the system's, say), if this machine has one: what a
 * newcomer runs before `npm ci` has installed the project's own Node 24.
 */
export function olderNode(): { path: string; version: string } | undefined {
  const dirs = ['/usr/bin', '/usr/local/bin', ...(process.env['PATH'] ?? '').split(delimiter)];
  for (const dir of dirs.filter((entry) => entry !== '' && !entry.includes('node_modules'))) {
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (Number(/^v(\d+)\./.exec(version)?.[1] ?? '99') < 24) return { path: candidate, version };
  }
  return undefined;
}
