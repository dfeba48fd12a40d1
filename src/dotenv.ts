/**
 * `.env` text read the way the Python service read it: pydantic-settings hands the file to
 * python-dotenv (CONTRACT.md C.1), whose rules differ from Node's `util.parseEnv` where it matters
 * for secrets. An unquoted value ends at a `#` only when whitespace comes before it (`s3cr3t#x`
 * is all value); double-quoted values decode `\\ \' \" \a \b \f \n \r \t \v`, single-quoted ones
 * `\\` and `\'` only; quoted values may span lines; `export ` is ignored. A line that does not
 * parse is skipped, as python-dotenv skips it (with a warning there). Every value, quoted or not,
 * then has `${NAME}` and `${NAME:-default}` replaced from the environment and the lines above
 * (which win), as pydantic-settings had python-dotenv do; `$NAME` is left as it is.
 */

const KEY_UNQUOTED = /[^=#\s]+/y;
const KEY_SINGLE_QUOTED = /'([^']+)'/y;
const EXPORT = /export[^\S\r\n]+/y;
const BLANK = /[^\S\r\n]*/y;
const EQUALS = /=[^\S\r\n]*/y;
const VALUE_SINGLE_QUOTED = /'((?:\\'|[^'])*)'/y;
const VALUE_DOUBLE_QUOTED = /"((?:\\"|[^"])*)"/y;
const VALUE_UNQUOTED = /[^\r\n]*/y;
const COMMENT = /(?:[^\S\r\n]*#[^\r\n]*)?/y;
const END_OF_LINE = /[^\S\r\n]*(?:\r\n|\n|\r|$)/y;
const REST_OF_LINE = /[^\r\n]*(?:\r\n|\r|\n)?/y;
const MULTILINE_BLANK = /\s*/y;

const SINGLE_QUOTE_ESCAPE = /\\([\\'])/g;
const SINGLE_QUOTE_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'" };
const DOUBLE_QUOTE_ESCAPE = /\\([\\'"abfnrtv])/g;
const DOUBLE_QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

const VARIABLE = /\$\{([^}:]*)(?::-([^}]*))?\}/g;

/** The variables a `.env` text sets, in file order; a later line wins over an earlier one. */
export function parseDotenv(
  text: string,
  environment: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const values = new Map<string, string>();
  let at = 0;
  /** Matches `pattern` at the current position and moves past it; undefined if it does not. */
  const take = (pattern: RegExp): RegExpExecArray | undefined => {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (match === null) return undefined;
    at = pattern.lastIndex;
    return match;
  };

  while (at < text.length) {
    take(MULTILINE_BLANK);
    if (at >= text.length) break;
    const binding = parseBinding(take);
    if (binding === undefined) {
      // A comment, or text python-dotenv cannot parse: skipped up to the end of the line it
      // stopped in, as python-dotenv's reader does.
      take(REST_OF_LINE);
      continue;
    }
    if (binding.value !== undefined) {
      const resolved = binding.value.replace(
        VARIABLE,
        (_whole, name: string, fallback: string | undefined) =>
          (values.has(name) ? values.get(name) : environment[name]) ?? fallback ?? '',
      );
      values.set(binding.key, resolved);
    }
  }
  return Object.fromEntries(values);
}

function parseBinding(
  take: (pattern: RegExp) => RegExpExecArray | undefined,
): { key: string; value: string | undefined } | undefined {
  take(EXPORT);
  const key = take(KEY_SINGLE_QUOTED)?.[1] ?? take(KEY_UNQUOTED)?.[0];
  if (key === undefined) return undefined;
  take(BLANK);
  let value: string | undefined;
  if (take(EQUALS) !== undefined) {
    value = parseValue(take);
    if (value === undefined) return undefined;
  }
  take(COMMENT);
  if (take(END_OF_LINE) === undefined) return undefined;
  // A key with no `=` is declared without a value: python-dotenv reads it as None.
  return { key, value };
}

/** A value as python-dotenv reads it; undefined for an unterminated quote (the line is skipped). */
function parseValue(take: (pattern: RegExp) => RegExpExecArray | undefined): string | undefined {
  const single = take(VALUE_SINGLE_QUOTED);
  if (single !== undefined)
    return decode(single[1] ?? '', SINGLE_QUOTE_ESCAPE, SINGLE_QUOTE_ESCAPES);
  const double = take(VALUE_DOUBLE_QUOTED);
  if (double !== undefined)
    return decode(double[1] ?? '', DOUBLE_QUOTE_ESCAPE, DOUBLE_QUOTE_ESCAPES);
  const unquoted = take(VALUE_UNQUOTED)?.[0] ?? '';
  if (unquoted.startsWith("'") || unquoted.startsWith('"')) return undefined;
  // A `#` starts a comment only after whitespace.
  return unquoted.replace(/\s+#.*/, '').trimEnd();
}

function decode(raw: string, escape: RegExp, table: Readonly<Record<string, string>>): string {
  return raw.replace(escape, (whole, char: string) => table[char] ?? whole);
}
