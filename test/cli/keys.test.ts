import { describe, expect, it } from 'vitest';
import { createServiceKeyLookup, hashServiceKey } from '../../src/auth/service-keys.ts';
import { runKeysNew, type KeysOptions } from '../../src/cli/keys.ts';
import { loadConfig } from '../../src/config.ts';
import { runCli } from '../helpers/cli.ts';

function keysNew(options: Omit<KeysOptions, 'err'>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runKeysNew((line) => out.push(line), {
    ...options,
    err: (line) => err.push(line),
  });
  return { code, out, err };
}

/** The gateway's own reading of a printed entry, and whether the printed key opens it. */
function configuredGrant(key: string, entry: string) {
  const config = loadConfig({
    env: {
      TOOLBRIDGE_SERVICE_KEYS: `[${entry}]`,
      TOOLBRIDGE_IDENTITY_SECRET: 'identity-secret-0123456789-0123456789',
      // Service keys need minted backend tokens (config-rules.ts).
      TOOLBRIDGE_BACKEND_AUTH: 'mint',
    },
  });
  return createServiceKeyLookup(config.backChannel.serviceKeys)(key);
}

describe('toolbridge-mcp keys new', () => {
  it('prints the key, then its entry, on out; the key opens the entry the gateway reads', () => {
    const { code, out, err } = keysNew({
      id: 'runtime-staging',
      scopes: ['tools:call', 'tools:call', 'notes:read'],
      tenants: ['acme', 'globex'],
    });
    expect(code).toBe(0);
    expect(out).toHaveLength(2);
    const [key = '', entry = ''] = out;
    expect(key).toMatch(/^tbk_[0-9a-f]{64}$/);
    expect(JSON.parse(entry)).toEqual({
      id: 'runtime-staging',
      sha256: hashServiceKey(key),
      scopes: ['tools:call', 'notes:read'],
      tenants: ['acme', 'globex'],
    });
    expect(configuredGrant(key, entry)).toEqual({
      id: 'runtime-staging',
      scopes: ['tools:call', 'notes:read'],
      tenants: ['acme', 'globex'],
    });
    expect(err.join('\n')).toContain('shown this once and kept nowhere');
    expect(err.join('\n')).not.toContain(key);
  });

  it('without --tenant makes a key for any tenant, and says so', () => {
    const { code, out, err } = keysNew({ id: 'runtime-any' });
    expect(code).toBe(0);
    expect(JSON.parse(out[1] ?? '')).toEqual({
      id: 'runtime-any',
      sha256: hashServiceKey(out[0] ?? ''),
      scopes: [],
    });
    expect(err).toContain(
      'toolbridge-mcp keys new: note: no --tenant, so the key may act for any tenant this gateway serves',
    );
  });

  it('makes a new key each time', () => {
    const first = keysNew({ id: 'a' }).out[0];
    const second = keysNew({ id: 'a' }).out[0];
    expect(first).not.toBe(second);
  });

  it.each([
    [{}, '--id is required'],
    [{ id: 'my runtime' }, '--id expects 1 to 64 letters, digits'],
    [{ id: 'rt', scopes: ['read write'] }, '--scope expects scope names without spaces or quotes'],
    [{ id: 'rt', tenants: [' acme'] }, '--tenant must not start or end with whitespace'],
    [{ id: 'rt', tenants: [''] }, '--tenant must not be empty'],
  ])('refuses %j with exit 64 and prints no key', (options, message) => {
    const { code, out, err } = keysNew(options);
    expect(code).toBe(64);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).not.toMatch(/tbk_/);
  });

  it('runs as a command, needing no configuration (a broken one does not stop it)', async () => {
    const { code, stdout, stderr } = await runCli(
      ['keys', 'new', '--id', 'runtime-prod', '--scope', 'tools:call', '--tenant', 'acme'],
      { TOOLBRIDGE_PORT: 'not-a-port' },
    );
    expect({ code, stderr: stderr.includes('invalid configuration') }).toEqual({
      code: 0,
      stderr: false,
    });
    const [key = '', entry = '', ...more] = stdout.trimEnd().split('\n');
    expect(more).toEqual([]);
    expect(configuredGrant(key, entry)).toEqual({
      id: 'runtime-prod',
      scopes: ['tools:call'],
      tenants: ['acme'],
    });
    expect(stderr).not.toContain(key);
  });
});
