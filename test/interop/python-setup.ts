/**
 * vitest globalSetup for the Python interop tests: one venv per pinned release of the official
 * Python MCP SDK (PyPI `mcp`), under node_modules/.cache/toolbridge-interop/, installed from the
 * lock files in ./requirements/ with `python3 -m venv` + pip. Idempotent: a venv whose stamp
 * matches its lock file is reused without starting Python, so a warm run costs a few file reads.
 * A venv is built beside its final place and renamed into it, so an interrupted install is never
 * mistaken for a finished one. The venvs' interpreters reach the tests through `inject`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

/** The SDK releases tested: the last 1.x (what most deployed clients run) and the current 2.x. */
export const MCP_VERSIONS = ['1.30.0', '2.3.0'] as const;

export interface PythonClient {
  /** The pinned `mcp` release. */
  readonly version: string;
  /** The venv's interpreter. */
  readonly python: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/interop/python-setup.ts when it is registered as a globalSetup. */
    interopPython?: readonly PythonClient[];
  }
}

const ROOT = resolve(import.meta.dirname, '../..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'toolbridge-interop');
const STAMP = '.toolbridge-lock-sha256';
const run = promisify(execFile);

async function exec(command: string, args: readonly string[], what: string): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`interop setup: ${what} failed: ${detail}`, { cause: error });
  }
}

/** The venv for one pinned release, installed if missing or out of date with its lock file. */
export async function ensureVenv(version: string): Promise<PythonClient> {
  const lockFile = join(import.meta.dirname, 'requirements', `mcp-${version}.txt`);
  const stamp = createHash('sha256').update(readFileSync(lockFile)).digest('hex');
  const dir = join(CACHE, `venv-mcp-${version}`);
  const python = join(dir, 'bin', 'python');
  const stampFile = join(dir, STAMP);
  if (existsSync(python) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    return { version, python };
  }

  process.stderr.write(`interop setup: installing mcp==${version} into ${dir}\n`);
  mkdirSync(CACHE, { recursive: true });
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  try {
    await exec('python3', ['-m', 'venv', building], 'python3 -m venv');
    const buildingPython = join(building, 'bin', 'python');
    await exec(
      buildingPython,
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        '--quiet',
        '-r',
        lockFile,
      ],
      `pip install -r ${lockFile}`,
    );
    writeFileSync(join(building, STAMP), stamp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  // The interpreter finds its venv from where it is run, so the moved venv works as built.
  await exec(
    python,
    ['-c', 'import mcp.client.sse, mcp.client.streamable_http'],
    `importing mcp ${version}`,
  );
  return { version, python };
}

export async function ensurePythonClients(): Promise<PythonClient[]> {
  return Promise.all(MCP_VERSIONS.map((version) => ensureVenv(version)));
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('interopPython', await ensurePythonClients());
}
