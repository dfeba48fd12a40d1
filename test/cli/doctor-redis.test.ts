import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { config, doctor, leaks } from './helpers.ts';

/** doctor's session store check against a real, password-protected redis-server. */

const PASSWORD = 'doctor-redis-pass-SENTINEL-0007';
let server: RedisServer;
beforeAll(async () => {
  server = await startRedis({ password: PASSWORD });
});
afterAll(async () => {
  await server.close();
});

const at = () => `127.0.0.1:${server.port}`;
const label = () => `session store (Redis at ${at()})`;

describe('doctor: the Redis session store', () => {
  it.each([
    ['a password in the URL', () => ({ TOOLBRIDGE_REDIS_URL: server.url })],
    [
      'TOOLBRIDGE_REDIS_PASSWORD',
      () => ({ TOOLBRIDGE_REDIS_URL: `redis://${at()}`, TOOLBRIDGE_REDIS_PASSWORD: PASSWORD }),
    ],
  ])('passes with %s', async (_how, env) => {
    const { code, lines, text } = await doctor(config(env()));
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^✔ ${escape(label())}: connected and answered PING in \\d+ ms \\(Redis \\d`),
      ),
    );
    expect(code).toBe(0);
    expect(leaks(text)).toEqual([]);
  });

  it.each([
    [
      'a wrong password',
      () => ({
        TOOLBRIDGE_REDIS_URL: `redis://${at()}`,
        TOOLBRIDGE_REDIS_PASSWORD: 'wrong-SENTINEL-pw',
      }),
      'Redis refused the password',
    ],
    [
      'no password',
      () => ({ TOOLBRIDGE_REDIS_URL: `redis://${at()}` }),
      'Redis wants a password and none was given',
    ],
  ])('fails with %s, naming host and port only', async (_how, env, problem) => {
    const { code, lines, text } = await doctor(config(env()));
    expect(lines).toContain(`✘ ${label()}: ${problem}`);
    expect(text).toContain('fix: set the password in TOOLBRIDGE_REDIS_URL');
    expect(code).toBe(1);
    expect(leaks(text)).toEqual([]);
  });

  it('fails fast when nothing listens there', async () => {
    await server.stop();
    try {
      const started = performance.now();
      const { code, lines, text } = await doctor(config({ TOOLBRIDGE_REDIS_URL: server.url }));
      expect(performance.now() - started).toBeLessThan(2000);
      expect(lines).toContain(`✘ ${label()}: connection refused`);
      expect(text).toContain('fix: check TOOLBRIDGE_REDIS_URL');
      expect(code).toBe(1);
      expect(leaks(text)).toEqual([]);
    } finally {
      await server.start();
    }
  });

  it('checks nothing about Redis without TOOLBRIDGE_REDIS_URL', async () => {
    const { text } = await doctor(config({}));
    expect(text).not.toContain('session store');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
