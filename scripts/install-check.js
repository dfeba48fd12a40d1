// Whether node_modules holds what package-lock.json locks. Plain JavaScript for any Node from 20
// on: it runs before `npm ci` has installed the project's own Node 24 (scripts/ensure-deps.js).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// What identifies an installed package; other fields (license, engines, ...) follow from these.
const IDENTITY = ['version', 'resolved', 'integrity', 'link'];

const parse = (text) => {
  try {
    const packages = JSON.parse(text).packages;
    return typeof packages === 'object' && packages !== null ? packages : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Compares the lockfile with npm's record of the last install (node_modules/.package-lock.json,
 * written at the end of every successful `npm ci` or `npm install`). Optional packages may be
 * absent from the record: npm skips those built for other platforms.
 *
 * @param {string | undefined} lockText package-lock.json's text, undefined when there is none
 * @param {string | undefined} installedText node_modules/.package-lock.json's, likewise
 * @returns {{ install: boolean, reason: string }}
 */
export function installNeeded(lockText, installedText) {
  if (lockText === undefined) return { install: false, reason: 'there is no package-lock.json' };
  if (installedText === undefined) {
    return { install: true, reason: 'node_modules is not installed' };
  }
  const locked = parse(lockText);
  const installed = parse(installedText);
  // npm ci then says what is wrong with the lockfile better than this check could.
  if (locked === undefined) return { install: true, reason: 'package-lock.json does not parse' };
  if (installed === undefined) {
    return { install: true, reason: 'node_modules/.package-lock.json does not parse' };
  }
  for (const [path, want] of Object.entries(locked)) {
    if (path === '') continue; // the project itself
    const have = installed[path];
    if (have === undefined) {
      if (want.optional === true || want.devOptional === true) continue;
      return { install: true, reason: `${path} is not installed` };
    }
    for (const field of IDENTITY) {
      if (want[field] !== have[field]) {
        return { install: true, reason: `${path} differs from package-lock.json (${field})` };
      }
    }
  }
  for (const path of Object.keys(installed)) {
    if (!Object.hasOwn(locked, path)) {
      return { install: true, reason: `${path} is installed but not in package-lock.json` };
    }
  }
  return { install: false, reason: 'node_modules matches package-lock.json' };
}

const readIfThere = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
};

/** installNeeded for the project at `root`. */
export function checkInstall(root) {
  return installNeeded(
    readIfThere(join(root, 'package-lock.json')),
    readIfThere(join(root, 'node_modules', '.package-lock.json')),
  );
}
