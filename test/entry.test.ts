import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The entry module as `npm run build` emits it (dist/main.js), run by Node versions other than the
 * one running the tests. Transpiled alone, with the build's options, since the real build of the
 * whole tree takes seconds; the entry must not need any other file to answer on an old Node.
 */

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'toolbridge-entry-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function emitEntry(): string {
  const configPath = join(ROOT, 'tsconfig.build.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  const parsed: unknown = read.config;
  const { options } = ts.parseJsonConfigFileContent(parsed, ts.sys, ROOT);
  const source = readFileSync(join(ROOT, 'src/main.ts'), 'utf8');
  // `.mts`: as tsc sees every file of this `"type": "module"` package, an ES module.
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: options,
    fileName: 'main.mts',
  });
  writeFileSync(join(work, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(work, 'main.js'), outputText);
  return join(work, 'main.js');
}

/** A `node` older than 24 outside node_modules (the system's), if this machine has one. */
function olderNode(): string | undefined {
  const dirs = ['/usr/bin', '/usr/local/bin', ...(process.env['PATH'] ?? '').split(delimiter)];
  for (const dir of dirs.filter((entry) => entry !== '' && !entry.includes('node_modules'))) {
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (Number(/^v(\d+)\./.exec(version)?.[1] ?? '99') < 24) return candidate;
  }
  return undefined;
}

const entry = emitEntry();
const oldNode = olderNode();

describe('the entry module (dist/main.js)', () => {
  it.skipIf(oldNode === undefined)(
    `on Node older than 24 (${oldNode ?? 'none found'}), says which Node it needs: exit 69, no stack`,
    () => {
      const result = spawnSync(oldNode ?? '', [entry, '--help'], { encoding: 'utf8' });
      const version = spawnSync(oldNode ?? '', ['--version'], { encoding: 'utf8' }).stdout.trim();
      expect(result.stderr).toBe(
        `toolbridge-mcp needs Node 24 or newer (this is Node ${version})\n`,
      );
      expect(result.stdout).toBe('');
      expect(result.status).toBe(69);
    },
  );

  it('on Node 24, loads the program from cli/main.js next to it', () => {
    mkdirSync(join(work, 'cli'), { recursive: true });
    writeFileSync(join(work, 'cli/main.js'), "process.stdout.write('program loaded\\n');\n");
    const result = spawnSync(process.execPath, [entry], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('program loaded\n');
    expect(result.status).toBe(0);
  });
});
