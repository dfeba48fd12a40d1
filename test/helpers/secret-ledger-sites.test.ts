/**
 * Keeps the secret scan's reach from shrinking: every test file that starts a process or builds a
 * logger feeds the ledger (test/helpers/secret-ledger.ts), or is listed here with the reason its
 * output is not the gateway's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const TEST_DIR = resolve(import.meta.dirname, '..');

/** Output sites not fed to the ledger, and why. */
const NOT_GATEWAY_OUTPUT: Readonly<Record<string, string>> = {
  'helpers/haproxy.ts': "HAProxy's own request log, the test's balancer, not the gateway",
  'helpers/older-node.ts': 'node --version',
  'interop/python-setup.ts': 'pip installing the Python SDK (global setup, before any test)',
  'ops/shutdown.test.ts': 'a Python socket that never accepts; its gateways come from helpers',
  'load/mix.test.ts': "load/run.ts's usage and argument errors, asserted word for word",
  'scripts/install-check.test.ts': "ensure-deps.js's advice about Node and npm ci",
  'entry.test.ts': "the entry module's Node version check, asserted word for word",
};

const SITE = /\b(spawn|spawnSync|fork|createLogger)\(|\bexecFile\b|new StdioClientTransport\(/;
const FEEDS = /secret-ledger\.ts|recordCliOutput|log-capture\.ts/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the secret ledger', () => {
  it('is fed by every test file that starts a process or builds a logger, or knows why not', () => {
    const unfed = sourceFiles(TEST_DIR)
      .filter((path) => {
        const text = readFileSync(path, 'utf8');
        return SITE.test(text) && !FEEDS.test(text);
      })
      .map((path) => relative(TEST_DIR, path));
    expect(unfed.sort()).toEqual(Object.keys(NOT_GATEWAY_OUTPUT).sort());
  });
});
