import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { bad, ok, tenantId, type Check } from '../config-values.ts';

/**
 * Service keys: the credentials of agent runtimes that call on behalf of their users (issue 18
 * §3). The configuration holds only each key's SHA-256, so a leaked configuration or log cannot
 * call anything; the raw key is printed once by `toolbridge-mcp keys new` and then lives only in
 * the runtime's own configuration.
 */

export const SERVICE_KEY_PREFIX = 'tbk_';
/** `tbk_` and 32 random bytes in lower-case hex: the only shape `keys new` makes. */
const RAW_KEY = /^tbk_[0-9a-f]{64}$/;
/** Anything shaped like a raw key, to refuse one pasted where its hash belongs. */
const RAW_KEY_IN_TEXT = /tbk_[0-9a-fA-F]{16,}/;

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` and `\`. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;
const FIELDS = ['id', 'sha256', 'scopes', 'tenants'];

const text = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : `expects ${what}`) });

const TenantText = z
  .string({ error: 'expects tenant ids as strings' })
  .superRefine((value, ctx) => {
    const checked = value === '' ? bad('must not be empty') : tenantId(value);
    if (!checked.ok) ctx.issues.push({ code: 'custom', message: checked.problem, input: value });
  });

/**
 * One entry of TOOLBRIDGE_SERVICE_KEYS. Unknown fields are refused: `"tenant"` misspelt for
 * `"tenants"` would otherwise quietly let the key act for every tenant.
 */
export const ServiceKeyEntry = z.strictObject(
  {
    id: text('1 to 64 letters, digits, ".", "_" or "-"').regex(
      ID,
      'expects 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    ),
    sha256: text('64 hex digits')
      .regex(
        /^[0-9a-fA-F]{64}$/,
        "expects 64 hex digits: the SHA-256 of the key, as 'keys new' prints it",
      )
      .transform((hex) => hex.toLowerCase()),
    scopes: z
      .array(
        text('scopes as strings').regex(SCOPE, 'expects scope names without spaces or quotes'),
        { error: (issue) => (issue.input === undefined ? 'is required' : 'expects an array') },
      )
      .transform((scopes) => [...new Set(scopes)]),
    /** Absent: the key may act for any tenant the gateway serves. */
    tenants: z
      .array(TenantText, { error: 'expects an array of tenant ids' })
      .min(1, 'expects at least one tenant id (leave the field out for any tenant)')
      .transform((tenants) => [...new Set(tenants)])
      .optional(),
  },
  {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        // A field name is shown only when it looks like one: never a pasted value.
        const names = issue.keys.filter((key) => /^[A-Za-z_][\w-]{0,31}$/.test(key));
        const shown = names.length > 0 ? ` ${names.map((key) => `"${key}"`).join(', ')}` : '';
        return `has an unknown field${shown} (the fields are ${FIELDS.join(', ')})`;
      }
      return 'expects an object';
    },
  },
);
export type ServiceKeyEntry = z.output<typeof ServiceKeyEntry>;

const ServiceKeyList = z
  .array(ServiceKeyEntry, {
    error: 'expects a JSON array of {"id", "sha256", "scopes", "tenants"?} objects',
  })
  .min(1, 'is an empty array: leave the variable unset for no service keys');

/** What a configured key lets its runtime do. */
export interface ServiceKeyGrant {
  readonly id: string;
  readonly scopes: readonly string[];
  /** Undefined: any tenant the gateway serves. */
  readonly tenants?: readonly string[] | undefined;
}

/** Where in the list a problem is, naming the entry's id when it is a valid one. */
function where(path: readonly PropertyKey[], list: unknown): string {
  const [index, field, item] = path;
  if (typeof index !== 'number') return '';
  const entries: readonly unknown[] = Array.isArray(list) ? list : [];
  const entry = entries[index];
  const id: unknown =
    typeof entry === 'object' && entry !== null ? Reflect.get(entry, 'id') : undefined;
  const named = typeof id === 'string' && ID.test(id) ? ` ("${id}")` : '';
  const place = `entry ${index + 1}${named}`;
  if (typeof field !== 'string') return `${place} `;
  return `${place}: ${field}${typeof item === 'number' ? `[${item}]` : ''} `;
}

/** Two entries for one id, or one key under two ids: both are mistakes worth stopping for. */
function duplicates(entries: readonly ServiceKeyEntry[]): string[] {
  const problems: string[] = [];
  for (const field of ['id', 'sha256'] as const) {
    const first = new Map<string, number>();
    entries.forEach((entry, index) => {
      const seen = first.get(entry[field]);
      if (seen === undefined) first.set(entry[field], index);
      else
        problems.push(
          field === 'id'
            ? `entries ${seen + 1} and ${index + 1} have the same id "${entry.id}"`
            : `entries ${seen + 1} and ${index + 1} have the same sha256 (one key under two ids)`,
        );
    });
  }
  return problems;
}

/**
 * TOOLBRIDGE_SERVICE_KEYS as written: a JSON array, or `@` and the path of a file holding one.
 * Problems name the entry and field, never a value: JSON.parse's own message may quote the
 * text, so only the line and column are kept from it.
 */
export function parseServiceKeys(
  raw: string,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ReturnType<Check<readonly ServiceKeyEntry[]>> {
  const trimmed = raw.trim();
  let source = trimmed;
  let from = '';
  if (trimmed.startsWith('@')) {
    const path = trimmed.slice(1).trim();
    if (path === '') return bad('expects a file path after "@"');
    from = ` (in ${path})`;
    try {
      source = readFile(path);
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      return bad(`cannot read ${path} (${code})`);
    }
  }
  if (RAW_KEY_IN_TEXT.test(source)) {
    return bad(
      `holds a raw service key${from}: keep only its sha256 here ('toolbridge-mcp keys new' prints the entry)`,
    );
  }
  let list: unknown;
  try {
    list = JSON.parse(source);
  } catch (error) {
    const place = error instanceof Error ? /\(line \d+ column \d+\)/.exec(error.message) : null;
    return bad(`is not valid JSON${from}${place === null ? '' : ` ${place[0]}`}`);
  }
  const parsed = ServiceKeyList.safeParse(list);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${where(issue.path, list)}${issue.message}`,
    );
    return bad(`${problems.join('; ')}${from}`);
  }
  const repeated = duplicates(parsed.data);
  return repeated.length > 0 ? bad(`${repeated.join('; ')}${from}`) : ok(parsed.data);
}

export const isServiceKeyShaped = (key: string): boolean => RAW_KEY.test(key);

/** The value an entry's `sha256` holds: the SHA-256 of the whole key, `tbk_` included, in hex. */
export const hashServiceKey = (key: string): string =>
  createHash('sha256').update(key, 'utf8').digest('hex');

export type ServiceKeyLookup = (presented: string) => ServiceKeyGrant | undefined;

/**
 * Finds the entry a presented key belongs to. The presented key is hashed, and its digest is
 * compared with every entry's in constant time, without stopping at a match: how long a lookup
 * takes depends on the number of entries only, never on which one matched or on how many bytes
 * of a digest agree. (Hashing first already makes the compared bytes unpredictable to a caller,
 * which is why a map keyed by digest would also be safe; the scan removes the argument, costs
 * well under a microsecond for the handful of keys a gateway has, and gives equal-length inputs
 * to `timingSafeEqual`, which throws on unequal ones.)
 */
export function createServiceKeyLookup(
  entries: readonly ServiceKeyEntry[],
  equal: (a: Uint8Array, b: Uint8Array) => boolean = timingSafeEqual,
): ServiceKeyLookup {
  const known = entries.map((entry) => ({
    digest: Buffer.from(entry.sha256, 'hex'),
    grant: Object.freeze({
      id: entry.id,
      scopes: Object.freeze([...entry.scopes]),
      ...(entry.tenants === undefined ? {} : { tenants: Object.freeze([...entry.tenants]) }),
    }),
  }));
  return (presented) => {
    if (!RAW_KEY.test(presented)) return undefined;
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: ServiceKeyGrant | undefined;
    for (const { digest: expected, grant } of known) {
      if (equal(digest, expected)) found = grant;
    }
    return found;
  };
}

/** A fresh key and the entry to configure for it; the key exists nowhere else. */
export function newServiceKey(
  entry: Omit<ServiceKeyEntry, 'sha256'>,
  random: (size: number) => Buffer = randomBytes,
): { key: string; entry: ServiceKeyEntry } {
  const key = `${SERVICE_KEY_PREFIX}${random(32).toString('hex')}`;
  const { id, scopes, tenants } = entry;
  return {
    key,
    entry: {
      id,
      sha256: hashServiceKey(key),
      scopes,
      ...(tenants === undefined ? {} : { tenants }),
    },
  };
}
