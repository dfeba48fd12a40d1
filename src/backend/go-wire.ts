/**
 * How the Go API puts values on the wire, so the embedded API answers byte-for-byte alike:
 * encoding/json (HTML-safe escaping, map keys sorted, a trailing newline from json.Encoder),
 * RFC3339Nano UTC times, uuid.Parse and strconv.Atoi.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

/** json.NewEncoder(w).Encode(v): escapes <, >, & and the JS line separators; ends with \n. */
export function encodeJson(value: unknown): string {
  const text = JSON.stringify(value).replace(
    HTML_UNSAFE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${text}\n`;
}

/** Go encodes map[string]any with sorted keys, at every depth. */
export function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key] ?? null);
  return out;
}

/** time.UnixMilli(ms).UTC().Format(time.RFC3339Nano): trailing zeros of the fraction dropped. */
export function goTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return fraction === '' ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 19)}.${fraction}Z`;
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPACT_UUID = /^[0-9a-f]{32}$/i;

/** uuid.Parse: canonical, {braced}, urn:uuid: and 32-hex forms, any case; canonical lower-case out. */
export function parseUuid(text: string): string | undefined {
  let candidate = text;
  if (candidate.length === 45 && candidate.slice(0, 9).toLowerCase() === 'urn:uuid:') {
    candidate = candidate.slice(9);
  } else if (candidate.length === 38 && candidate.startsWith('{') && candidate.endsWith('}')) {
    candidate = candidate.slice(1, 37);
  }
  if (CANONICAL_UUID.test(candidate)) return candidate.toLowerCase();
  if (COMPACT_UUID.test(candidate)) {
    const hex = candidate.toLowerCase();
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return undefined;
}

/** Go fills a struct field from the exact key, else from a key that differs only in case. */
export function goField(object: JsonObject, name: string): JsonValue | undefined {
  if (Object.hasOwn(object, name)) return object[name];
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : object[key];
}

/** strconv.Atoi: optional sign, decimal digits, 64-bit range. */
export function atoi(text: string | undefined): number | undefined {
  if (text === undefined || !/^[+-]?\d{1,18}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * json.NewDecoder(body).Decode(&map): the first JSON value in the body must be an object or
 * `null` (which leaves the map nil); anything after that first value is never read.
 */
export type DecodedBody =
  { kind: 'object'; value: JsonObject } | { kind: 'null' } | { kind: 'invalid' };

export function decodeObject(body: string): DecodedBody {
  const start = body.search(/\S/);
  if (start === -1) return { kind: 'invalid' };
  if (body.startsWith('null', start)) return { kind: 'null' };
  if (body[start] !== '{') return { kind: 'invalid' };
  const end = endOfObject(body, start);
  if (end === undefined) return { kind: 'invalid' };
  try {
    const value: unknown = JSON.parse(body.slice(start, end));
    return isJsonObject(value) ? { kind: 'object', value } : { kind: 'invalid' };
  } catch {
    return { kind: 'invalid' };
  }
}

/** Index just past the object that opens at `start`, by bracket depth outside strings. */
function endOfObject(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '{' || char === '[') {
      depth += 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}
