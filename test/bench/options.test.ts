/** The benchmark's command line: which phases a combination of options runs, and its refusals. */
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/lib/options.ts';

describe.each([
  { args: [], paths: true, redis: true, authModes: true },
  { args: ['--only', 'redis'], paths: false, redis: true, authModes: false },
  { args: ['--only', 'auth-modes'], paths: false, redis: false, authModes: true },
  { args: ['--only=auth-modes', '--no-redis'], paths: false, redis: false, authModes: true },
  { args: ['--no-redis'], paths: true, redis: false, authModes: true },
  { args: ['--no-auth-modes'], paths: true, redis: true, authModes: false },
  { args: ['--no-redis', '--no-auth-modes'], paths: true, redis: false, authModes: false },
])('parseOptions($args)', ({ args, ...phases }) => {
  it(`runs ${JSON.stringify(phases)}`, () => {
    const parsed = parseOptions(args);
    expect(parsed.ok && { ...parsed.options }).toMatchObject(phases);
  });
});

it('reads the numbers and the gateway flags', () => {
  const parsed = parseOptions(['-d', '4', '-r', '2', '-w', '0.5', '--gateway-node-flags=--a --b']);
  expect(parsed.ok && parsed.options).toMatchObject({
    duration: 4,
    rounds: 2,
    warmup: 0.5,
    connections: 16,
    sessions: 2000,
    gatewayNodeFlags: ['--a', '--b'],
  });
});

describe.each([
  { args: ['--only', 'paths'], says: '--only expects redis or auth-modes' },
  { args: ['--only', 'auth-modes', '--no-auth-modes'], says: 'leave nothing to run' },
  { args: ['--only', 'redis', '--no-redis'], says: 'leave nothing to run' },
  { args: ['-r', '1.5'], says: '--rounds expects a positive integer' },
  { args: ['-d', '0'], says: '--duration expects a positive number' },
  { args: ['--frobnicate'], says: 'Unknown option' },
])('parseOptions($args)', ({ args, says }) => {
  it('is a usage error (64)', () => {
    const parsed = parseOptions(args);
    expect(parsed.ok ? undefined : { code: parsed.code, said: parsed.text.includes(says) }).toEqual(
      { code: 64, said: true },
    );
  });
});

it('answers --help with the usage and 0', () => {
  const parsed = parseOptions(['--help']);
  expect(parsed.ok ? undefined : parsed.code).toBe(0);
  expect(parsed.ok ? '' : parsed.text).toContain('--only auth-modes');
});
