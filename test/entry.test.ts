import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { olderNode } from './helpers/older-node.ts';

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

const entry = emitEntry();
const oldNode = olderNode();

describe('the entry module (dist/main.js)', () => {
  it.skipIf(oldNode === undefined)(
    `on Node older than 24 (${oldNode?.path ?? 'none found'}), says which Node it needs: exit 69, no stack`,
    () => {
      const result = spawnSync(oldNode?.path ?? '', [entry, '--help'], { encoding: 'utf8' });
      expect(result.stderr).toBe(
        `toolbridge-mcp needs Node 24 or newer (this is Node ${oldNode?.version ?? ''})\n`,
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
