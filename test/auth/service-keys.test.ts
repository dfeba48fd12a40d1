import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createServiceKeyLookup,
  hashServiceKey,
  newServiceKey,
  parseServiceKeys,
  type ServiceKeyEntry,
} from '../../src/auth/service-keys.ts';

const KEY_A = `tbk_${'a1'.repeat(32)}`;
const KEY_B = `tbk_${'b2'.repeat(32)}`;
const KEY_C = `tbk_${'c3'.repeat(32)}`;
const sha = (key: string) => createHash('sha256').update(key).digest('hex');

const ENTRIES = [
  { id: 'runtime-staging', sha256: sha(KEY_A), scopes: ['tools:call'] },
  { id: 'runtime-prod', sha256: sha(KEY_B).toUpperCase(), scopes: [], tenants: ['acme', 'globex'] },
];

const root = mkdtempSync(join(tmpdir(), 'toolbridge-keys-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The parsed list, or a failure naming the problem. */
function parsed(raw: string): readonly ServiceKeyEntry[] {
  const result = parseServiceKeys(raw);
  if (!result.ok) throw new Error(`expected a valid list, got: ${result.problem}`);
  return result.value;
}

function problem(raw: string, readFile?: (path: string) => string): string {
  const result = parseServiceKeys(raw, readFile);
  if (result.ok) throw new Error('expected the list to be refused');
  return result.problem;
}

describe('parseServiceKeys', () => {
  it('reads an inline JSON array: hashes in lower case, scopes once each, tenants optional', () => {
    const list = parsed(
      JSON.stringify([
        ...ENTRIES,
        { id: 'ci.bot_1', sha256: sha(KEY_C), scopes: ['a', 'a', 'b'], tenants: ['x', 'x'] },
      ]),
    );
    expect(list).toEqual([
      { id: 'runtime-staging', sha256: sha(KEY_A), scopes: ['tools:call'] },
      { id: 'runtime-prod', sha256: sha(KEY_B), scopes: [], tenants: ['acme', 'globex'] },
      { id: 'ci.bot_1', sha256: sha(KEY_C), scopes: ['a', 'b'], tenants: ['x'] },
    ]);
  });

  it('reads the list from a file named after "@", around which whitespace is ignored', () => {
    const path = join(root, 'keys.json');
    writeFileSync(path, `${JSON.stringify(ENTRIES, null, 2)}\n`);
    expect(parsed(` @${path} `).map((entry) => entry.id)).toEqual([
      'runtime-staging',
      'runtime-prod',
    ]);
  });

  it('names a file it cannot read, and where a problem in a file is', () => {
    const missing = join(root, 'nope.json');
    expect(problem(`@${missing}`)).toBe(`cannot read ${missing} (ENOENT)`);
    expect(problem('@')).toBe('expects a file path after "@"');
    const path = join(root, 'bad.json');
    writeFileSync(path, JSON.stringify([{ id: 'a', sha256: 'xyz', scopes: [] }]));
    expect(problem(`@${path}`)).toBe(
      `entry 1 ("a"): sha256 expects 64 hex digits: the SHA-256 of the key, as 'keys new' prints it (in ${path})`,
    );
  });

  const entry = { id: 'k1', sha256: sha(KEY_A), scopes: [] };
  const cases: [string, unknown, string][] = [
    [
      'an object',
      { keys: [] },
      'expects a JSON array of {"id", "sha256", "scopes", "tenants"?} objects',
    ],
    ['an empty array', [], 'is an empty array: leave the variable unset for no service keys'],
    ['a string entry', ['k1'], 'entry 1 expects an object'],
    ['no id', [{ ...entry, id: undefined }], 'entry 1: id is required'],
    [
      'a numeric id',
      [{ ...entry, id: 7 }],
      'entry 1: id expects 1 to 64 letters, digits, ".", "_" or "-"',
    ],
    [
      'an id with a space',
      [{ ...entry, id: 'my key' }],
      'entry 1: id expects 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    ],
    ['no sha256', [{ ...entry, sha256: undefined }], 'entry 1 ("k1"): sha256 is required'],
    [
      'a short sha256',
      [{ ...entry, sha256: 'ab'.repeat(31) }],
      `entry 1 ("k1"): sha256 expects 64 hex digits: the SHA-256 of the key, as 'keys new' prints it`,
    ],
    ['no scopes', [{ ...entry, scopes: undefined }], 'entry 1 ("k1"): scopes is required'],
    [
      'scopes as a string',
      [{ ...entry, scopes: 'read' }],
      'entry 1 ("k1"): scopes expects an array',
    ],
    [
      'a scope with a space',
      [{ ...entry, scopes: ['ok', 'read write'] }],
      'entry 1 ("k1"): scopes[1] expects scope names without spaces or quotes',
    ],
    [
      'no tenants in the list',
      [{ ...entry, tenants: [] }],
      'entry 1 ("k1"): tenants expects at least one tenant id (leave the field out for any tenant)',
    ],
    [
      'a tenant with surrounding space',
      [{ ...entry, tenants: ['acme '] }],
      'entry 1 ("k1"): tenants[0] must not start or end with whitespace',
    ],
    [
      'an empty tenant',
      [{ ...entry, tenants: [''] }],
      'entry 1 ("k1"): tenants[0] must not be empty',
    ],
    [
      '"tenant" misspelt for "tenants"',
      [{ ...entry, tenant: ['acme'] }],
      'entry 1 ("k1") has an unknown field "tenant" (the fields are id, sha256, scopes, tenants)',
    ],
    [
      'two entries with one id',
      [entry, { ...entry, sha256: sha(KEY_B) }],
      'entries 1 and 2 have the same id "k1"',
    ],
    [
      'one key under two ids',
      [entry, { ...entry, id: 'k2', sha256: sha(KEY_A).toUpperCase() }],
      'entries 1 and 2 have the same sha256 (one key under two ids)',
    ],
    [
      'two problems',
      [
        { ...entry, id: '' },
        { ...entry, scopes: 3 },
      ],
      'entry 1: id expects 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit; entry 2 ("k1"): scopes expects an array',
    ],
  ];
  it.each(cases)('refuses %s', (_what, list, expected) => {
    expect(problem(JSON.stringify(list))).toBe(expected);
  });

  it('refuses a raw key pasted in place of its hash, without repeating it', () => {
    const text = problem(JSON.stringify([{ ...entry, sha256: KEY_A }]));
    expect(text).toBe(
      "holds a raw service key: keep only its sha256 here ('toolbridge-mcp keys new' prints the entry)",
    );
    expect(text).not.toContain(KEY_A.slice(4, 20));
  });

  it('never repeats the text: not from JSON.parse, not an unknown field that is no field name', () => {
    const secret = 'SENTINEL-secret-value-0123';
    const broken = problem(`[{"id": "k1", "sha256": ${secret}}]`);
    expect(broken).toBe('is not valid JSON');
    expect(problem('[{"id": "k1"}\n {"id": "k2"}]')).toBe('is not valid JSON (line 2 column 2)');
    const field = problem(JSON.stringify([{ ...entry, [`x ${secret}`]: 1 }]));
    expect(field).toBe(
      'entry 1 ("k1") has an unknown field (the fields are id, sha256, scopes, tenants)',
    );
    const id = problem(JSON.stringify([{ ...entry, id: `${secret} with spaces` }]));
    expect([broken, field, id].join('\n')).not.toContain('SENTINEL');
  });
});

describe('createServiceKeyLookup', () => {
  const list = parsed(JSON.stringify(ENTRIES));

  it('returns the grant of the key presented: id, scopes and tenants', () => {
    const lookup = createServiceKeyLookup(list);
    expect(lookup(KEY_A)).toEqual({ id: 'runtime-staging', scopes: ['tools:call'] });
    expect(lookup(KEY_B)).toEqual({
      id: 'runtime-prod',
      scopes: [],
      tenants: ['acme', 'globex'],
    });
    expect(Object.isFrozen(lookup(KEY_B))).toBe(true);
  });

  it.each([
    ['a key that is not configured', KEY_C],
    ['a configured key in upper case', KEY_A.toUpperCase()],
    ['a configured key with a character more', `${KEY_A}0`],
    ['the hash itself', sha(KEY_A)],
    ['the prefix alone', 'tbk_'],
  ])('finds nothing for %s', (_what, presented) => {
    expect(createServiceKeyLookup(list)(presented)).toBeUndefined();
  });

  it.each([
    ['the first entry', KEY_A, 'runtime-staging'],
    ['the last entry', KEY_B, 'runtime-prod'],
    ['no entry', KEY_C, undefined],
  ])(
    'compares digests with timingSafeEqual against every entry when the key is %s',
    (_what, presented, id) => {
      const compared: [number, number][] = [];
      const lookup = createServiceKeyLookup(list, (a, b) => {
        compared.push([a.byteLength, b.byteLength]);
        return timingSafeEqual(a, b);
      });
      expect(lookup(presented)?.id).toBe(id);
      // One 32-byte comparison per entry, whichever matched: no early exit to time.
      expect(compared).toEqual([
        [32, 32],
        [32, 32],
      ]);
    },
  );

  it('does not hash or compare a bearer that is not shaped like a key', () => {
    let compared = 0;
    const lookup = createServiceKeyLookup(list, () => {
      compared += 1;
      return true;
    });
    expect(lookup('tbk_not-hex')).toBeUndefined();
    expect(compared).toBe(0);
  });
});

describe('newServiceKey', () => {
  it('makes tbk_ and 32 random bytes in hex, and an entry holding only its SHA-256', () => {
    const { key, entry } = newServiceKey(
      { id: 'runtime-staging', scopes: ['tools:call'], tenants: ['acme'] },
      (size) => Buffer.alloc(size, 0xab),
    );
    expect(key).toBe(`tbk_${'ab'.repeat(32)}`);
    expect(entry).toEqual({
      id: 'runtime-staging',
      sha256: hashServiceKey(key),
      scopes: ['tools:call'],
      tenants: ['acme'],
    });
    expect(JSON.stringify(entry)).not.toContain('abab');
  });

  it('makes a different key each time, and each verifies against its own entry only', () => {
    const first = newServiceKey({ id: 'one', scopes: [] });
    const second = newServiceKey({ id: 'two', scopes: [] });
    expect(first.key).not.toBe(second.key);
    expect(first.key).toMatch(/^tbk_[0-9a-f]{64}$/);
    const lookup = createServiceKeyLookup(parsed(JSON.stringify([first.entry, second.entry])));
    expect(lookup(first.key)?.id).toBe('one');
    expect(lookup(second.key)?.id).toBe('two');
  });
});
