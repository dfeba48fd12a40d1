import { timingSafeEqual } from 'node:crypto';
import {
  GO_MAX_SKEW_SECONDS,
  SIGNATURE_HEADER,
  TENANT_ID_HEADER,
  TIMESTAMP_HEADER,
  fromWireValue,
  hmacKey,
  signWire,
} from './scheme.ts';

/** Why a set of tenant headers was refused; each missing or malformed header has its own code. */
export type TenantHeaderFailure =
  | 'TENANT_ID_MISSING'
  | 'TIMESTAMP_MISSING'
  | 'SIGNATURE_MISSING'
  | 'TIMESTAMP_MALFORMED'
  | 'TIMESTAMP_SKEWED'
  | 'SIGNATURE_MALFORMED'
  | 'SIGNATURE_MISMATCH';

export type TenantVerification =
  | { readonly ok: true; readonly tenantId: string; readonly timestampMs: number }
  | { readonly ok: false; readonly code: TenantHeaderFailure };

/** Header values as node:http delivers them: lower-case names, bytes as Latin-1 chars. */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface TenantVerifierOptions {
  secret: string;
  /** Absolute skew allowed, inclusive; the Go API's 300 s unless told otherwise. */
  maxSkewSeconds?: number;
  now?: () => number;
}

export type TenantVerifier = (headers: IncomingHeaders) => TenantVerification;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SIGNATURE_SHAPE = /^[0-9a-f]{64}$/;

function first(headers: IncomingHeaders, name: string): string {
  const value = headers[name.toLowerCase()];
  return (typeof value === 'string' ? value : value?.[0]) ?? '';
}

/** Go's strconv.ParseInt(s, 10, 64): an optional sign, decimal digits, leading zeros allowed. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
}

/**
 * Checks X-TB-* headers in the Go API's order (CONTRACT.md B.3); the first failure wins. The
 * signature is recomputed over the header bytes exactly as received and compared in constant time.
 */
export function createTenantVerifier({
  secret,
  maxSkewSeconds = GO_MAX_SKEW_SECONDS,
  now = Date.now,
}: TenantVerifierOptions): TenantVerifier {
  const key = hmacKey(secret);
  const maxSkewMs = maxSkewSeconds * 1000;
  return (headers) => {
    const tenantWire = first(headers, TENANT_ID_HEADER);
    const timestamp = first(headers, TIMESTAMP_HEADER);
    const signature = first(headers, SIGNATURE_HEADER);
    if (tenantWire === '') return { ok: false, code: 'TENANT_ID_MISSING' };
    if (timestamp === '') return { ok: false, code: 'TIMESTAMP_MISSING' };
    if (signature === '') return { ok: false, code: 'SIGNATURE_MISSING' };
    const timestampMs = parseInt64(timestamp);
    if (timestampMs === undefined) return { ok: false, code: 'TIMESTAMP_MALFORMED' };
    // An absolute difference: future timestamps get the same window; exactly the limit passes.
    if (Math.abs(now() - Number(timestampMs)) > maxSkewMs) {
      return { ok: false, code: 'TIMESTAMP_SKEWED' };
    }
    // Go compares hex text case-sensitively, so upper-case hex can never match.
    if (!SIGNATURE_SHAPE.test(signature)) return { ok: false, code: 'SIGNATURE_MALFORMED' };
    const expected = Buffer.from(signWire(key, tenantWire, timestamp), 'latin1');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'latin1'))) {
      return { ok: false, code: 'SIGNATURE_MISMATCH' };
    }
    return { ok: true, tenantId: fromWireValue(tenantWire), timestampMs: Number(timestampMs) };
  };
}
