import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

const parseJson = (text: string): unknown => JSON.parse(text);
import { REDACTED, createLogger } from '../src/log.ts';
import { recordOutput, registerSecret } from './helpers/secret-ledger.ts';
import type { LogLevel } from '../src/config.ts';

const SECRET = 'tenant-secret-"quoted"\\-SENTINEL';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl';

function capture(level: LogLevel = 'trace', pretty = false) {
  const lines: string[] = [];
  // Every line the scrubber let through: the scan checks it as it checks the gateway's.
  registerSecret(SECRET);
  recordOutput(`logger under test (${level}${pretty ? ', pretty' : ''})`, () => lines.join(''));
  const log = createLogger({
    level,
    secrets: [SECRET, undefined],
    pretty,
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  const records = () => lines.map((line) => parseJson(line));
  return { log, lines, records };
}

describe('createLogger', () => {
  it('writes JSON lines with a level label and an ISO time', () => {
    const { log, records } = capture();
    log.info({ tool: 'list_notes' }, 'called');
    expect(records()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'called',
        tool: 'list_notes',
        name: 'toolbridge-mcp',
      }),
    ]);
    expect(records()[0]).toHaveProperty('time', expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
  });

  it('drops lines below the configured level', () => {
    const { log, records } = capture('warn');
    log.info('quiet');
    log.warn('loud');
    expect(records()).toEqual([expect.objectContaining({ msg: 'loud', level: 'warn' })]);
  });

  it('writes human-readable lines when pretty output is asked for', async () => {
    const { log, lines } = capture('info', true);
    log.info({ authorization: `Bearer ${JWT}` }, 'hello');
    await tick();
    const text = lines.join('');
    expect(() => parseJson(lines[0]!)).toThrow();
    expect(text).toContain('hello');
    expect(text).toContain(REDACTED);
    expect(text).not.toContain(JWT);
  });
});

describe('redaction', () => {
  it.each([
    ['Authorization header', { headers: { Authorization: `Bearer ${JWT}` } }],
    [
      'authorization deep in a request',
      { req: { upstream: { headers: { authorization: 'opaque' } } } },
    ],
    ['tenant signature', { headers: { 'x-tb-signature': 'f9fffc461d8ed868' } }],
    ['secret-named key', { tenantHeaderSecret: 'opaque' }],
    ['token-named key', { jwtToken: 'opaque', refresh_token: 'opaque' }],
    ['password and cookie', { password: 'opaque', cookie: 'opaque', 'set-cookie': ['opaque'] }],
    ['api key', { apiKey: 'opaque', 'x-api-key': 'opaque' }],
  ])('redacts by key: %s', (_name, payload) => {
    const { log, lines } = capture();
    log.info(payload, 'request');
    expect(lines[0]).not.toContain('opaque');
    expect(lines[0]).not.toContain(JWT);
    expect(lines[0]).not.toContain('f9fffc461d8ed868');
    expect(lines[0]).toContain(REDACTED);
  });

  it('keeps the structure around redacted values', () => {
    const { log, records } = capture();
    log.info({ headers: { authorization: 'x', 'x-request-id': 'r-1' } }, 'm');
    expect(records()[0]).toMatchObject({
      headers: { authorization: REDACTED, 'x-request-id': 'r-1' },
    });
  });

  it('scrubs credentials inside free text: messages, format arguments, nested strings', () => {
    const { log, lines } = capture();
    log.info(`upstream said Bearer ${JWT}`);
    log.info('calling with %s', `Basic dXNlcjpwYXNz`);
    log.info({ note: `token was ${JWT} in a sentence` }, 'nested');
    const text = lines.join('');
    expect(text).not.toContain(JWT);
    expect(text).not.toContain('dXNlcjpwYXNz');
    expect(text).toContain(`Bearer ${REDACTED}`);
  });

  it('scrubs service keys in free text, wherever they appear', () => {
    const { log, lines } = capture();
    const key = `tbk_${'5e'.repeat(32)}`;
    log.info(`runtime sent ${key} in x-toolbridge-user`);
    log.info({ note: `key=${key}` }, 'nested');
    const text = lines.join('');
    expect(text).not.toContain('5e5e5e5e');
    expect(text).toContain(`runtime sent ${REDACTED} in x-toolbridge-user`);
  });

  it('scrubs the configured secret wherever it appears, JSON-escaped or not', () => {
    const { log, lines } = capture();
    log.info(`secret is ${SECRET}`);
    log.info({ deep: { list: [`x${SECRET}x`] } }, 'nested');
    log.child({ leaked: SECRET }).info('child binding');
    const text = lines.join('');
    expect(text).not.toContain('SENTINEL');
    expect(lines).toHaveLength(3);
  });

  it('logs errors with type, message and stack, scrubbed, under err', () => {
    const { log, records, lines } = capture();
    const cause = new Error(`cause holds ${SECRET}`);
    const error = Object.assign(new TypeError(`failed with Bearer ${JWT}`, { cause }), {
      code: 'E_UPSTREAM',
      authorization: 'opaque',
    });
    log.error(error);
    log.error({ err: error }, 'with a message');
    const [first, second] = records();
    expect(first).toMatchObject({
      msg: `failed with Bearer ${REDACTED}`,
      err: { type: 'TypeError', code: 'E_UPSTREAM', authorization: REDACTED },
    });
    expect(first).toHaveProperty(
      'err.stack',
      expect.stringContaining('TypeError: failed with Bearer'),
    );
    expect(first).toHaveProperty('err.cause.message', `cause holds ${REDACTED}`);
    expect(second).toMatchObject({ msg: 'with a message', err: { type: 'TypeError' } });
    const text = lines.join('');
    expect(text).not.toContain(JWT);
    expect(text).not.toContain('SENTINEL');
    expect(text).not.toContain('opaque');
  });

  it('survives circular and very deep values', () => {
    const { log, records } = capture();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop['self'] = loop;
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i += 1) deep = { deep };
    log.info({ loop, deep }, 'shapes');
    expect(records()[0]).toMatchObject({ loop: { name: 'loop', self: '[Circular]' } });
    expect(JSON.stringify(records()[0])).toContain('[Truncated]');
  });
});
