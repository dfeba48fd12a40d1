import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * The X-TB-* scheme (CONTRACT.md A.3, B.3): HMAC-SHA256 keyed by the UTF-8 bytes of the secret
 * text (never base64-decoded), over `<tenant id bytes>:<timestamp as sent>`, lowercase hex.
 */
export const TENANT_ID_HEADER = 'X-TB-Tenant-ID';
export const TIMESTAMP_HEADER = 'X-TB-Timestamp';
export const SIGNATURE_HEADER = 'X-TB-Signature';

/** The Go API's window, hard-coded there (trap 7): |now − ts| > 300 s is rejected. */
export const GO_MAX_SKEW_SECONDS = 300;

/** The secret's UTF-8 bytes as a reusable key, so no request re-derives it. */
export function hmacKey(secret: string): KeyObject {
  if (secret === '') throw new RangeError('the tenant header secret must not be empty');
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/**
 * Signature over a tenant id already in wire form (one char per byte, see `toWireValue`) and a
 * timestamp string exactly as it travels in X-TB-Timestamp.
 */
export function signWire(key: KeyObject, tenantWire: string, timestamp: string): string {
  return createHmac('sha256', key)
    .update(tenantWire, 'latin1')
    .update(`:${timestamp}`, 'latin1')
    .digest('hex');
}

/** Signature over a tenant id given as ordinary (Unicode) text. */
export function sign(secret: string, tenantId: string, timestamp: string): string {
  return signWire(hmacKey(secret), toWireValue(tenantId), timestamp);
}

/**
 * HTTP header values travel as bytes. Node (node:http, undici) maps string header values to bytes
 * one char per byte (Latin-1), so a tenant id must be turned into its UTF-8 bytes first, or a
 * non-ASCII id is mangled or refused (trap 8). `fromWireValue` is the inverse, for a value read
 * from node:http, which hands header bytes over as Latin-1 chars.
 */
export function toWireValue(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export function fromWireValue(wire: string): string {
  return Buffer.from(wire, 'latin1').toString('utf8');
}
