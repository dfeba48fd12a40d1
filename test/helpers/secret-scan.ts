/**
 * Finds credentials in text a test saw: log lines, process output, error texts. A finding names
 * where (source and line) and what kind, and shows the credential only as a hint (its first four
 * characters and its length), so the report of a leak does not leak it again.
 */

export type LeakKind =
  /** A value the suite registered as secret (test/helpers/secret-ledger.ts). */
  | 'registered secret'
  /** The suite's marker inside secret values (test/cli/helpers.ts): never meant to be echoed. */
  | 'SENTINEL marker'
  /** A raw service key (src/auth/service-keys.ts): `tbk_` and 32 bytes in hex. */
  | 'service key'
  /** A compact JWS with a signature: a token someone could replay. */
  | 'JWT'
  | 'bearer credential';

export interface Finding {
  readonly source: string;
  readonly kind: LeakKind;
  /** 1-based, in the text of the source. */
  readonly line: number;
  /** First four characters and the length, never the whole value. */
  readonly hint: string;
}

/**
 * A line that prints a credential by design (product output, not a log): `why` says so, and
 * `previous` names the line that must come right before, so that only that one line passes.
 */
export interface ProductLine {
  readonly why: string;
  readonly line: RegExp;
  readonly previous?: RegExp;
}

export interface ScanOptions {
  readonly source: string;
  readonly secrets?: Iterable<string>;
  readonly productLines?: readonly ProductLine[];
  /** Added to every line number: the text continues a source already scanned up to here. */
  readonly firstLine?: number;
  /** The line before the text, when it continues a source (for `ProductLine.previous`). */
  readonly previousLine?: string;
}

/**
 * Shorter registered values are not searched for: a test's `secret: 'x'` would match everywhere.
 * The generated secrets of the suite are 24 random bytes or a long descriptive string.
 */
export const MIN_SECRET_LENGTH = 8;

const SHAPES: readonly (readonly [LeakKind, RegExp])[] = [
  ['service key', /\btbk_[0-9a-f]{64}(?![0-9a-f])/gi],
  // Header and payload are base64url JSON objects; an unsigned token (alg none) replays nowhere.
  ['JWT', /\beyJ[\w-]{2,}\.eyJ[\w-]{2,}\.[\w-]+/g],
  // Long enough for any real credential; `Bearer realm="…"` and `Bearer error="…"` (challenge
  // parameters, not credentials) are a name, `=` and a quote, and do not match.
  ['bearer credential', /\bBearer\s+(?![\w-]+=")([\w.~+/-]{20,}=*)/g],
  ['SENTINEL marker', /SENTINEL/g],
];

/** `abcd…(64 chars)`: enough to tell two findings apart, not enough to use. */
export const hintOf = (value: string): string => `${value.slice(0, 4)}…(${value.length} chars)`;

/** Each registered secret as written and as it appears inside a JSON string. */
function literalsOf(secrets: Iterable<string>): string[] {
  const literals = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    literals.add(secret);
    literals.add(JSON.stringify(secret).slice(1, -1));
  }
  return [...literals];
}

function isProductLine(lines: readonly string[], index: number, options: ScanOptions): boolean {
  const rules = options.productLines ?? [];
  const line = lines[index] ?? '';
  const previous = (index === 0 ? options.previousLine : lines[index - 1]) ?? '';
  return rules.some(
    (rule) => rule.line.test(line) && (rule.previous === undefined || rule.previous.test(previous)),
  );
}

/** Every credential in `text`, one finding per kind and line. */
export function scanText(text: string, options: ScanOptions): Finding[] {
  const literals = literalsOf(options.secrets ?? []);
  const lines = text.split('\n');
  const findings: Finding[] = [];
  lines.forEach((line, index) => {
    if (isProductLine(lines, index, options)) return;
    const at = (kind: LeakKind, value: string) =>
      findings.push({
        source: options.source,
        kind,
        line: (options.firstLine ?? 0) + index + 1,
        hint: hintOf(value),
      });
    const secret = literals.find((literal) => line.includes(literal));
    if (secret !== undefined) at('registered secret', secret);
    for (const [kind, pattern] of SHAPES) {
      pattern.lastIndex = 0;
      const match = pattern.exec(line);
      // The credential itself, without the word `Bearer`, is what the hint shows.
      if (match !== null) at(kind, match[1] ?? match[0]);
    }
  });
  return findings;
}

/** One line per finding, for a test failure message. */
export function describeFindings(findings: readonly Finding[]): string {
  return findings
    .map(({ source, kind, line, hint }) => `  ${source}, line ${line}: ${kind} ${hint}`)
    .join('\n');
}
