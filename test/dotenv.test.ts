import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../src/dotenv.ts';

/**
 * Each text with what python-dotenv's dotenv_values (1.x, as pydantic-settings calls it) returned
 * for it, recorded with X_FROM_ENV=envval and EMPTY_ENV= in the environment.
 */
const AS_PYTHON_READ: readonly (readonly [string, Record<string, string>])[] = [
  ['A=s3cr3t#tail-0123\n', { A: 's3cr3t#tail-0123' }],
  ['A=value # comment\n', { A: 'value' }],
  ['A=value#notcomment # comment\n', { A: 'value#notcomment' }],
  ['A="a\\"b"\n', { A: 'a"b' }],
  ['A="x\\\\y"\n', { A: 'x\\y' }],
  ['A="line1\\nline2\\tTab"\n', { A: 'line1\nline2\tTab' }],
  ["A='single \\' quote \\\\ and \\n kept'\n", { A: "single ' quote \\ and \\n kept" }],
  ['A="multi\nline"\nB=after\n', { A: 'multi\nline', B: 'after' }],
  ['export A=exported\n', { A: 'exported' }],
  ['  A = spaced  \n', { A: 'spaced' }],
  ['A="unterminated\nB=b\n', { B: 'b' }],
  ["A='x'junk\nB=b\n", { B: 'b' }],
  ['A="x" # c\n', { A: 'x' }],
  ['# comment\nA=1\n#B=2\n', { A: '1' }],
  ['A=1\r\nB=2\r\n', { A: '1', B: '2' }],
  ['A\nB=2\n', { B: '2' }],
  ['A=\nB=2\n', { A: '', B: '2' }],
  ["'quoted key'=v\n", { 'quoted key': 'v' }],
  ['A=1\nA=2\n', { A: '2' }],
  ['A=a#b#c\n', { A: 'a#b#c' }],
  ['A=""\n', { A: '' }],
  ["A=it's\n", { A: "it's" }],
  ['A=${HOME_NOT_SET}x\n', { A: 'x' }],
  ['A="\\a\\b\\f\\v\\r"\n', { A: '\u0007\b\f\u000b\r' }],
  ['A= \t leading\n', { A: 'leading' }],
  ['=novalue\nB=2\n', { B: '2' }],
  ['A="multi\nline" junk\nB=b\n', { B: 'b' }],
  ['A=1\nB=${A}2\n', { A: '1', B: '12' }],
  ["A='${X_FROM_ENV}'\n", { A: 'envval' }],
  ['A=${NOPE:-dflt}\n', { A: 'dflt' }],
  ['A=$X_FROM_ENV\n', { A: '$X_FROM_ENV' }],
  ['X_FROM_ENV=file\nA=${X_FROM_ENV}\n', { X_FROM_ENV: 'file', A: 'file' }],
  ['A=${A}\n', { A: '' }],
  ['A=${X_FROM_ENV}-x\n', { A: 'envval-x' }],
  ['A=${EMPTY_ENV:-d}\n', { A: '' }],
  ['A="a\nB=b"\nC=c\n', { A: 'a\nB=b', C: 'c' }],
  ['  # indented comment\nA=1\n', { A: '1' }],
  ['A=1 #c\n\n\nB=2', { A: '1', B: '2' }],
];

const ENVIRONMENT = { X_FROM_ENV: 'envval', EMPTY_ENV: '' };

describe('.env text, read as python-dotenv read it', () => {
  it.each(AS_PYTHON_READ)('%j', (text, expected) => {
    expect(parseDotenv(text, ENVIRONMENT)).toEqual(expected);
  });

  it('keeps a __proto__ key as data', () => {
    const values = parseDotenv('__proto__=x\n');
    expect(Object.keys(values)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
  });
});
