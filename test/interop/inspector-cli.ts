/**
 * The official MCP Inspector's CLI (@modelcontextprotocol/inspector, a devDependency), spawned as a
 * child process exactly as a developer would run it. It is started from node_modules with this
 * Node (Inspector needs ≥ 22.19), never through npx, so nothing is fetched.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { z } from 'zod';
import { runClient } from './stack.ts';

const INSPECTOR_PACKAGE = '@modelcontextprotocol/inspector';

/** The path of Inspector's `mcp-inspector` bin, from its installed package.json. */
function inspectorBin(): string {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve(`${INSPECTOR_PACKAGE}/package.json`);
  } catch {
    throw new Error(
      `${INSPECTOR_PACKAGE} is not installed: it is a devDependency of this project (npm ci)`,
    );
  }
  const { bin } = z
    .object({ bin: z.object({ 'mcp-inspector': z.string() }) })
    .parse(JSON.parse(readFileSync(manifest, 'utf8')));
  return join(dirname(manifest), bin['mcp-inspector']);
}

const BIN = inspectorBin();

/** Runs `mcp-inspector --cli …` with JSON output; never interactive (no OAuth prompt). */
export async function inspector(args: readonly string[]) {
  const run = await runClient(process.execPath, [
    BIN,
    '--cli',
    ...args,
    '--format',
    'json',
    '--stored-auth-only',
  ]);
  const parsed: unknown = run.stdout.trim() === '' ? undefined : JSON.parse(run.stdout);
  return { ...run, json: parsed };
}

const Success = z.object({ result: z.unknown() });

/** Runs the CLI, expects it to succeed, and returns the result it printed. */
export async function succeeded(args: readonly string[]): Promise<unknown> {
  const run = await inspector(args);
  expect(run.code, run.stderr).toBe(0);
  return Success.parse(run.json).result;
}
