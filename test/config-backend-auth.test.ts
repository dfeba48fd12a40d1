/**
 * TOOLBRIDGE_BACKEND_AUTH and TOOLBRIDGE_BACKEND_JWT_*: the default, the combinations that
 * cannot work (each a start-up error naming it, never a value), and what goes unused.
 */
import { describe, expect, it } from 'vitest';
import { describeConfig } from '../src/config-describe.ts';
import { loadConfig, type ConfigMode } from '../src/config.ts';
import { AppError } from '../src/errors.ts';
import { runCli } from './helpers/cli.ts';

const REMOTE = {
  TOOLBRIDGE_GO_API_BASE_URL: 'https://toolbridgeapi.example.com',
  TOOLBRIDGE_TENANT_HEADER_SECRET: 'tenant-secret-SENTINEL-0123456789',
};
const JWT_SECRET = { TOOLBRIDGE_JWT_SECRET: 'go-hs256-SENTINEL-secret' };
const JWKS = {
  TOOLBRIDGE_JWT_JWKS_URL: 'https://idp.example.com/oauth2/jwks',
  TOOLBRIDGE_JWT_ISSUER: 'https://idp.example.com',
  TOOLBRIDGE_JWT_AUDIENCE: 'https://mcp.example.com/mcp',
  TOOLBRIDGE_PUBLIC_BASE_URL: 'https://mcp.example.com',
};
const SHARED = { TOOLBRIDGE_JWT_TOKEN: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRU5USU5FTCJ9.SENTINEL' };
const BACKEND_SECRET = { TOOLBRIDGE_BACKEND_JWT_SECRET: 'backend-SENTINEL-secret' };

type Env = Record<string, string>;

function configError(env: Env, mode: ConfigMode = 'http'): AppError {
  try {
    loadConfig({ env }, mode);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('the default TOOLBRIDGE_BACKEND_AUTH', () => {
  it.each<[string, Env, string]>([
    ['the embedded API', {}, 'forward'],
    ['a Go API and its own HS256 tokens (drop-in)', { ...REMOTE, ...JWT_SECRET }, 'forward'],
    ['TOOLBRIDGE_JWT_TOKEN set', { ...REMOTE, ...JWT_SECRET, ...SHARED }, 'shared'],
    [
      'client tokens from a JWKS, with the Go secret',
      { ...REMOTE, ...JWT_SECRET, ...JWKS },
      'mint',
    ],
    [
      'client tokens from a JWKS, with a backend secret',
      { ...REMOTE, ...JWKS, ...BACKEND_SECRET },
      'mint',
    ],
    ['a JWKS and the embedded API (its own secret)', { ...JWKS }, 'mint'],
    ['a JWKS and TOOLBRIDGE_JWT_TOKEN', { ...REMOTE, ...JWKS, ...SHARED }, 'shared'],
    [
      'a JWKS with TOOLBRIDGE_AUTH=none',
      { ...REMOTE, ...JWKS, TOOLBRIDGE_AUTH: 'none' },
      'forward',
    ],
  ])('%s → %s', (_name, env, mode) => {
    expect(loadConfig({ env }).backendAuth.mode).toBe(mode);
  });

  it('on stdio is shared', () => {
    const config = loadConfig({ env: { ...REMOTE, ...SHARED } }, 'stdio');
    expect(config.backendAuth.mode).toBe('shared');
  });
});

describe('TOOLBRIDGE_BACKEND_AUTH set', () => {
  it.each([
    ['forward', {}],
    ['FORWARD', {}],
    ['shared', SHARED],
    ['mint', JWT_SECRET],
    [' Mint ', BACKEND_SECRET],
    ['exchange', {}],
  ])('accepts %j', (value, extra) => {
    const config = loadConfig({
      env: { ...REMOTE, ...JWT_SECRET, ...extra, TOOLBRIDGE_BACKEND_AUTH: value },
    });
    expect(config.backendAuth.mode).toBe(value.trim().toLowerCase());
  });

  it('reads the minted tokens settings', () => {
    const config = loadConfig({
      env: {
        ...REMOTE,
        ...JWKS,
        ...BACKEND_SECRET,
        TOOLBRIDGE_BACKEND_JWT_ISSUER: 'https://tenant.auth0.example/',
        TOOLBRIDGE_BACKEND_JWT_AUDIENCE: 'https://toolbridgeapi.example',
      },
    });
    expect(config.backendAuth).toEqual({
      mode: 'mint',
      secret: 'backend-SENTINEL-secret',
      issuer: 'https://tenant.auth0.example/',
      audience: 'https://toolbridgeapi.example',
    });
    expect(config.warnings).toEqual([]);
  });

  it('refuses another value, naming the choices and not the value', () => {
    const { message } = configError({
      ...REMOTE,
      ...JWT_SECRET,
      TOOLBRIDGE_BACKEND_AUTH: 'SENTINEL',
    });
    expect(message.split('\n')).toEqual([
      'invalid configuration (1 problem):',
      '  TOOLBRIDGE_BACKEND_AUTH expects one of forward, mint, exchange, shared',
    ]);
  });
});

describe('combinations that cannot work stop the start, named, without a value', () => {
  it.each<[string, Env, ConfigMode, string]>([
    [
      'shared without a shared token',
      { ...REMOTE, ...JWT_SECRET, TOOLBRIDGE_BACKEND_AUTH: 'shared' },
      'http',
      'TOOLBRIDGE_BACKEND_AUTH=shared needs TOOLBRIDGE_JWT_TOKEN',
    ],
    ...(['forward', 'mint', 'exchange'] as const).map((mode): [string, Env, ConfigMode, string] => [
      `${mode} with a shared token it would ignore`,
      { ...REMOTE, ...JWT_SECRET, ...SHARED, TOOLBRIDGE_BACKEND_AUTH: mode },
      'http',
      `TOOLBRIDGE_JWT_TOKEN is set, but TOOLBRIDGE_BACKEND_AUTH=${mode} does not use it`,
    ]),
    [
      'mint without a secret to sign with',
      { ...REMOTE, ...JWKS, TOOLBRIDGE_BACKEND_AUTH: 'mint' },
      'http',
      'TOOLBRIDGE_BACKEND_AUTH=mint needs TOOLBRIDGE_BACKEND_JWT_SECRET (or TOOLBRIDGE_JWT_SECRET)',
    ],
    [
      'the default mint (client tokens from a JWKS) without a secret',
      { ...REMOTE, ...JWKS },
      'http',
      'TOOLBRIDGE_BACKEND_JWT_SECRET (or TOOLBRIDGE_JWT_SECRET) is required: client tokens come from TOOLBRIDGE_JWT_JWKS_URL',
    ],
    ...(['mint', 'exchange'] as const).map((mode): [string, Env, ConfigMode, string] => [
      `${mode} with unverified client tokens`,
      { ...REMOTE, ...BACKEND_SECRET, TOOLBRIDGE_AUTH: 'none', TOOLBRIDGE_BACKEND_AUTH: mode },
      'http',
      `TOOLBRIDGE_BACKEND_AUTH=${mode} acts for the token's subject, which TOOLBRIDGE_AUTH=none leaves unverified`,
    ]),
    ...(['forward', 'mint', 'exchange'] as const).map((mode): [string, Env, ConfigMode, string] => [
      `${mode} on stdio`,
      { ...REMOTE, ...SHARED, ...JWT_SECRET, TOOLBRIDGE_BACKEND_AUTH: mode },
      'stdio',
      `TOOLBRIDGE_BACKEND_AUTH=${mode} does not work with --stdio`,
    ]),
  ])('%s', (_name, env, mode, expected) => {
    const error = configError(env, mode);
    expect(error.code).toBe('CONFIG_INVALID');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid configuration (1 problem):');
    // The rule's text starts the line; the rest says what to do about it.
    expect(lines[1]?.slice(0, expected.length + 2)).toBe(`  ${expected}`);
    expect(error.message).not.toContain('SENTINEL');
  });

  it('exits 78 with the message, and no secret, at start-up', async () => {
    const { code, stdout, stderr } = await runCli([], {
      ...REMOTE,
      ...JWKS,
      TOOLBRIDGE_BACKEND_AUTH: 'mint',
    });
    expect(code).toBe(78);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      'TOOLBRIDGE_BACKEND_AUTH=mint needs TOOLBRIDGE_BACKEND_JWT_SECRET (or TOOLBRIDGE_JWT_SECRET)',
    );
    expect(stderr).not.toContain('SENTINEL');
  });

  it('leaves the doctor and sign commands alone (they call no tool)', () => {
    expect(loadConfig({ env: { ...REMOTE, ...JWKS } }, 'cli').backendAuth.mode).toBe('mint');
  });
});

describe('settings the chosen mode does not use', () => {
  it.each<[string, Env, string[]]>([
    [
      'forward with an issuer and a secret',
      {
        ...BACKEND_SECRET,
        TOOLBRIDGE_BACKEND_JWT_ISSUER: 'i',
        TOOLBRIDGE_BACKEND_AUTH: 'forward',
      },
      [
        'TOOLBRIDGE_BACKEND_JWT_SECRET is set but TOOLBRIDGE_BACKEND_AUTH=forward does not use it',
        'TOOLBRIDGE_BACKEND_JWT_ISSUER is set but TOOLBRIDGE_BACKEND_AUTH=forward does not use it',
      ],
    ],
    [
      'exchange with a secret, and the audience it asks for',
      {
        ...BACKEND_SECRET,
        TOOLBRIDGE_BACKEND_JWT_AUDIENCE: 'a',
        TOOLBRIDGE_BACKEND_AUTH: 'exchange',
      },
      ['TOOLBRIDGE_BACKEND_JWT_SECRET is set but TOOLBRIDGE_BACKEND_AUTH=exchange does not use it'],
    ],
    [
      'shared with an audience',
      { ...SHARED, TOOLBRIDGE_BACKEND_JWT_AUDIENCE: 'a' },
      ['TOOLBRIDGE_BACKEND_JWT_AUDIENCE is set but TOOLBRIDGE_BACKEND_AUTH=shared does not use it'],
    ],
  ])('%s: a warning each', (_name, env, warnings) => {
    const config = loadConfig({ env: { ...REMOTE, ...JWT_SECRET, ...env } });
    expect(config.warnings).toEqual(warnings);
  });
});

describe('the start-up description', () => {
  it.each<[Env, string]>([
    [{}, "the caller's Authorization header (forward)"],
    [SHARED, 'the shared TOOLBRIDGE_JWT_TOKEN'],
    [{ TOOLBRIDGE_BACKEND_AUTH: 'mint' }, 'HS256 tokens minted per user, 5 minutes (mint)'],
    [
      { TOOLBRIDGE_BACKEND_AUTH: 'exchange' },
      "tokens from the Go API's POST /auth/token-exchange (exchange)",
    ],
  ])('%j → %s, no secret', (env, text) => {
    const described = describeConfig(
      loadConfig({ env: { ...REMOTE, ...JWT_SECRET, ...BACKEND_SECRET, ...env } }),
    );
    expect(described['backendIdentity']).toBe(text);
    expect(JSON.stringify(described)).not.toContain('SENTINEL');
  });
});
