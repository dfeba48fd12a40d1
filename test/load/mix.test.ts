/**
 * The k6 workload's mix (load/k6/mix.json) against the contract's tool list, and the runner's
 * argument handling. The k6 run itself is `npm run load:smoke`, which needs k6.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const ROOT = resolve(import.meta.dirname, '../..');
const readJson = (path: string): unknown => JSON.parse(readFileSync(resolve(ROOT, path), 'utf8'));

const TOOLS = z
  .array(z.object({ name: z.string(), entity: z.string().nullable() }))
  .parse(readJson('test/fixtures/tools.json'));
const MIX = z
  .object({ weights: z.record(z.string(), z.number()) })
  .parse(readJson('load/k6/mix.json')).weights;

const DATA_TOOLS = TOOLS.filter((tool) => tool.entity !== null).map((tool) => tool.name);

describe('load mix', () => {
  it('weighs exactly the 40 data tools, each above zero', () => {
    expect(DATA_TOOLS).toHaveLength(40);
    expect(Object.keys(MIX).sort()).toEqual([...DATA_TOOLS].sort());
    for (const weight of Object.values(MIX)) expect(weight).toBeGreaterThan(0);
  });

  it('is 60 % reads (list_*, get_*) and 40 % writes', () => {
    const total = Object.values(MIX).reduce((sum, weight) => sum + weight, 0);
    const reads = Object.entries(MIX)
      .filter(([name]) => name.startsWith('list_') || name.startsWith('get_'))
      .reduce((sum, [, weight]) => sum + weight, 0);
    expect(total).toBe(100);
    expect(reads).toBe(60);
  });
});

describe('load/run.ts', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [resolve(ROOT, 'load/run.ts'), ...args], { encoding: 'utf8' });

  it('prints its usage for --help', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('smoke');
    expect(result.stdout).toContain('ramp');
  });

  it('refuses an unknown profile with EX_USAGE before starting anything', () => {
    const result = run('soak');
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('Usage: node load/run.ts');
  });
});
