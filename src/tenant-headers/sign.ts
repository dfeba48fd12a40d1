import {
  SIGNATURE_HEADER,
  TENANT_ID_HEADER,
  TIMESTAMP_HEADER,
  hmacKey,
  signWire,
  toWireValue,
} from './scheme.ts';

// A type alias, not an interface, so it is assignable to HTTP clients' header records.
export type TenantHeaders = {
  readonly [TENANT_ID_HEADER]: string;
  readonly [TIMESTAMP_HEADER]: string;
  readonly [SIGNATURE_HEADER]: string;
};

export interface TenantSigner {
  readonly tenantId: string;
  /** Fresh headers for one outbound request: a new millisecond timestamp every call. */
  headers(): TenantHeaders;
}

export interface TenantSignerOptions {
  tenantId: string;
  secret: string;
  /** Milliseconds since the Unix epoch; injectable so tests can freeze time. */
  now?: () => number;
}

export function createTenantSigner({
  tenantId,
  secret,
  now = Date.now,
}: TenantSignerOptions): TenantSigner {
  if (tenantId === '') throw new RangeError('the tenant id must not be empty');
  const key = hmacKey(secret);
  const tenantWire = toWireValue(tenantId);
  return {
    tenantId,
    headers() {
      // Milliseconds, decimal, no leading zeros (A.3): Python's str(int(time.time() * 1000)).
      const timestamp = String(Math.floor(now()));
      return {
        [TENANT_ID_HEADER]: tenantWire,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signWire(key, tenantWire, timestamp),
      };
    },
  };
}

/**
 * What a DEBUG log may say of a signed set: the timestamp, the message layout that was signed
 * (`<tenant id>:<timestamp>`) and the first 8 hex characters of the signature, enough to compare
 * with the API's side of a mismatch. Never the secret, never the whole signature.
 */
export function describeSigned(tenantId: string, headers: TenantHeaders) {
  const timestamp = headers[TIMESTAMP_HEADER];
  return {
    timestamp,
    signedMessage: `${tenantId}:${timestamp}`,
    hmacPrefix: headers[SIGNATURE_HEADER].slice(0, 8),
  };
}
