import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkInstall, installNeeded } from '../../scripts/install-check.js';
import { olderNode } from '../helpers/older-node.ts';

/**
 * The prestart/pretest check. Nothing here touches this checkout's node_modules: the decision is
 * tested on lockfile texts, and the script itself runs in scratch projects with a stand-in npm.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'toolbridge-install-check-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const entry = (version: string, extra: Record<string, unknown> = {}) => ({
  version,
  resolved: `https://registry.npmjs.org/a/-/a-${version}.tgz`,
  integrity: `sha512-${version}`,
  ...extra,
});
const LOCKED = {
  '': { name: 'p', version: '1.0.0', devDependencies: { a: '^1.0.0' } },
  'node_modules/a': entry('1.0.0'),
  'node_modules/a-darwin-arm64': entry('1.0.0', { optional: true, os: ['darwin'] }),
};
const INSTALLED = { 'node_modules/a': entry('1.0.0') };
const lockfile = (packages: Record<string, unknown>) =>
  JSON.stringify({ name: 'p', lockfileVersion: 3, requires: true, packages });

describe('installNeeded (prestart/pretest)', () => {
  it.each([
    ['no lockfile', undefined, lockfile(INSTALLED), false, 'there is no package-lock.json'],
    ['no node_modules', lockfile(LOCKED), undefined, true, 'node_modules is not installed'],
    [
      'the same packages, a platform-specific optional one skipped',
      lockfile(LOCKED),
      lockfile(INSTALLED),
      false,
      'node_modules matches package-lock.json',
    ],
    [
      'a new version locked',
      lockfile({ ...LOCKED, 'node_modules/a': entry('1.1.0') }),
      lockfile(INSTALLED),
      true,
      'node_modules/a differs from package-lock.json (version)',
    ],
    [
      'a package added',
      lockfile({ ...LOCKED, 'node_modules/b': entry('2.0.0') }),
      lockfile(INSTALLED),
      true,
      'node_modules/b is not installed',
    ],
    [
      'a package removed',
      lockfile({ '': LOCKED[''] }),
      lockfile(INSTALLED),
      true,
      'node_modules/a is installed but not in package-lock.json',
    ],
    [
      'an unreadable install record',
      lockfile(LOCKED),
      '{"packages":',
      true,
      'node_modules/.package-lock.json does not parse',
    ],
  ])('%s: install %s', (_case, lock, installed, install, reason) => {
    expect(installNeeded(lock, installed)).toEqual({ install, reason });
  });

  it('finds this checkout, installed by npm ci, up to date', () => {
    expect(checkInstall(ROOT)).toEqual({
      install: false,
      reason: 'node_modules matches package-lock.json',
    });
  });
});

/** A scratch project holding the two scripts, its lockfile, and an `npm` that only records. */
function scratchProject(installed: boolean, npmExit = 0): string {
  const dir = mkdtempSync(join(work, 'project-'));
  mkdirSync(join(dir, 'scripts'));
  for (const name of ['ensure-deps.js', 'install-check.js']) {
    copyFileSync(join(ROOT, 'scripts', name), join(dir, 'scripts', name));
  }
  writeFileSync(join(dir, 'package.json'), '{"name":"p","version":"1.0.0","type":"module"}\n');
  writeFileSync(join(dir, 'package-lock.json'), lockfile(LOCKED));
  if (installed) {
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules', '.package-lock.json'), lockfile(INSTALLED));
  }
  mkdirSync(join(dir, 'bin'));
  const npm = join(dir, 'bin', 'npm');
  writeFileSync(npm, `#!/bin/sh\necho "stand-in npm $*"\nexit ${npmExit}\n`);
  chmodSync(npm, 0o755);
  return dir;
}

/** The script as npm's lifecycle would run it, on the system's older Node when there is one. */
function ensureDeps(dir: string) {
  const node = olderNode()?.path ?? process.execPath;
  const path = [join(dir, 'bin'), process.env['PATH'] ?? ''].join(delimiter);
  const result = spawnSync(node, [join(dir, 'scripts', 'ensure-deps.js')], {
    cwd: dir,
    env: { PATH: path },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('scripts/ensure-deps.js', () => {
  it.skipIf(olderNode() === undefined)(
    'says, on a Node older than 24, that npm ci will warn about engines and why that is fine',
    () => {
      expect(ensureDeps(scratchProject(false)).stderr).toContain(
        "npm's EBADENGINE warnings for Node",
      );
    },
  );

  it('does nothing, and says nothing, when node_modules matches the lockfile', () => {
    expect(ensureDeps(scratchProject(true))).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('runs npm ci when node_modules is missing, its output on stderr only', () => {
    const { code, stdout, stderr } = ensureDeps(scratchProject(false));
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const lines = stderr.split('\n');
    expect(lines[0]).toBe('toolbridge-mcp: node_modules is not installed; running npm ci');
    expect(lines.at(-2)).toBe('stand-in npm ci --no-audit --no-fund');
  });

  it("fails with npm ci's exit code", () => {
    expect(ensureDeps(scratchProject(false, 3)).code).toBe(3);
  });
});
