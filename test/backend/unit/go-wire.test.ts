import { describe, expect, it } from 'vitest';
import {
  atoi,
  decodeObject,
  encodeJson,
  goField,
  goTime,
  parseUuid,
  sortKeys,
} from '../../../src/backend/go-wire.ts';

describe('goTime (RFC3339Nano, UTC)', () => {
  it.each([
    [Date.UTC(2025, 10, 20, 0, 0, 0, 0), '2025-11-20T00:00:00Z'],
    [Date.UTC(2025, 10, 20, 0, 0, 0, 50), '2025-11-20T00:00:00.05Z'],
    [Date.UTC(2025, 10, 20, 0, 0, 0, 100), '2025-11-20T00:00:00.1Z'],
    [Date.UTC(2025, 10, 20, 0, 0, 0, 123), '2025-11-20T00:00:00.123Z'],
  ])('%d → %s', (ms, text) => {
    expect(goTime(ms)).toBe(text);
  });
});

describe('parseUuid (uuid.Parse)', () => {
  const canonical = '5f0e4c1a-9b2d-4e3f-8a7b-6c5d4e3f2a1b';
  it.each([
    [canonical, canonical],
    [canonical.toUpperCase(), canonical],
    [`urn:uuid:${canonical}`, canonical],
    [`URN:UUID:${canonical}`, canonical],
    [`{${canonical}}`, canonical],
    [canonical.replaceAll('-', ''), canonical],
  ])('accepts %s', (text, expected) => {
    expect(parseUuid(text)).toBe(expected);
  });

  it.each([
    '',
    'not-a-uuid',
    `${canonical}0`,
    canonical.slice(1),
    `(${canonical})`,
    'g'.repeat(32),
  ])('refuses %j', (text) => {
    expect(parseUuid(text)).toBeUndefined();
  });
});

describe('atoi (strconv.Atoi)', () => {
  it.each([
    ['5', 5],
    ['+5', 5],
    ['-5', -5],
    ['007', 7],
  ])('%j → %d', (text, value) => {
    expect(atoi(text)).toBe(value);
  });

  it.each([undefined, '', ' 5', '5.0', '"5"', 'five', '1e3'])('%j → undefined', (text) => {
    expect(atoi(text)).toBeUndefined();
  });
});

describe('decodeObject (json.Decoder into a map)', () => {
  it('reads the first value only, as Decode does', () => {
    expect(decodeObject('  {"a":{"b":"}"}} trailing garbage')).toEqual({
      kind: 'object',
      value: { a: { b: '}' } },
    });
  });

  it('treats null as a nil map', () => {
    expect(decodeObject('null')).toEqual({ kind: 'null' });
  });

  it.each(['', '   ', '[1]', '"text"', '42', '{"a":', '{"a" 1}', 'nul'])('refuses %j', (body) => {
    expect(decodeObject(body)).toEqual({ kind: 'invalid' });
  });
});

describe('encodeJson (json.Encoder)', () => {
  it('escapes HTML-significant characters and line separators, and ends with a newline', () => {
    expect(encodeJson({ t: '<a href="x">&</a>\u2028' })).toBe(
      '{"t":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e\\u2028"}\n',
    );
  });

  it('sorts map keys at every depth', () => {
    expect(JSON.stringify(sortKeys({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }))).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe('goField', () => {
  it('prefers the exact key, then a case-insensitive one', () => {
    expect(goField({ Action: 'a', action: 'b' }, 'action')).toBe('b');
    expect(goField({ ACTION: 'pin' }, 'action')).toBe('pin');
    expect(goField({ other: 1 }, 'action')).toBeUndefined();
  });
});
