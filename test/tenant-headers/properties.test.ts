import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createTenantSigner,
  createTenantVerifier,
  type IncomingHeaders,
  type TenantHeaders,
} from '../../src/tenant-headers/index.ts';
import { hmacKey, signWire, toWireValue } from '../../src/tenant-headers/scheme.ts';

const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 64 });
const instant = fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 });
const skewMs = fc.integer({ min: -300_000, max: 300_000 });

const incoming = (
  h: TenantHeaders,
  overrides: Partial<Record<string, string>> = {},
): IncomingHeaders => ({
  'x-tb-tenant-id': h['X-TB-Tenant-ID'],
  'x-tb-timestamp': h['X-TB-Timestamp'],
  'x-tb-signature': h['X-TB-Signature'],
  ...overrides,
});

const signed = (tenantId: string, secret: string, at: number) =>
  createTenantSigner({ tenantId, secret, now: () => at }).headers();

describe('sign → verify properties', () => {
  it('round-trips any tenant and secret within the window', () => {
    fc.assert(
      fc.property(text, text, instant, skewMs, (tenantId, secret, at, skew) => {
        const verify = createTenantVerifier({ secret, now: () => at + skew });
        expect(verify(incoming(signed(tenantId, secret, at)))).toEqual({
          ok: true,
          tenantId,
          timestampMs: at,
        });
      }),
    );
  });

  it('fails for any other tenant', () => {
    fc.assert(
      fc.property(text, text, text, instant, (tenantId, other, secret, at) => {
        fc.pre(other !== tenantId);
        const verify = createTenantVerifier({ secret, now: () => at });
        const forged = incoming(signed(tenantId, secret, at), {
          'x-tb-tenant-id': signed(other, secret, at)['X-TB-Tenant-ID'],
        });
        expect(verify(forged)).toEqual({ ok: false, code: 'SIGNATURE_MISMATCH' });
      }),
    );
  });

  it('fails for any other timestamp, even inside the window', () => {
    fc.assert(
      fc.property(text, text, instant, skewMs, (tenantId, secret, at, shift) => {
        fc.pre(shift !== 0);
        const verify = createTenantVerifier({ secret, now: () => at });
        const forged = incoming(signed(tenantId, secret, at), {
          'x-tb-timestamp': String(at + shift),
        });
        expect(verify(forged)).toEqual({ ok: false, code: 'SIGNATURE_MISMATCH' });
      }),
    );
  });

  it('fails for any change to the signature', () => {
    fc.assert(
      fc.property(
        text,
        text,
        instant,
        fc.nat(63),
        fc.nat(14),
        (tenantId, secret, at, index, step) => {
          const verify = createTenantVerifier({ secret, now: () => at });
          const headers = signed(tenantId, secret, at);
          const original = headers['X-TB-Signature'];
          const hex = '0123456789abcdef';
          const changed = hex[(hex.indexOf(original[index]!) + 1 + step) % 16]!;
          const forged = original.slice(0, index) + changed + original.slice(index + 1);
          expect(verify(incoming(headers, { 'x-tb-signature': forged }))).toEqual({
            ok: false,
            code: 'SIGNATURE_MISMATCH',
          });
        },
      ),
    );
  });

  it('fails for any other secret', () => {
    fc.assert(
      fc.property(text, text, text, instant, (tenantId, secret, other, at) => {
        fc.pre(other !== secret);
        const verify = createTenantVerifier({ secret: other, now: () => at });
        expect(verify(incoming(signed(tenantId, secret, at)))).toEqual({
          ok: false,
          code: 'SIGNATURE_MISMATCH',
        });
      }),
    );
  });
});

describe('signWire (HMAC-SHA256 built from one-shot hashes)', () => {
  // Secrets of 1 to 200 UTF-8 bytes: shorter and longer than SHA-256's 64-byte block.
  const secret = fc.string({ unit: 'binary', minLength: 1, maxLength: 100 });
  const tenantWire = fc.string({ unit: 'binary', maxLength: 80 }).map(toWireValue);
  const timestamp = fc.oneof(fc.nat().map(String), fc.string({ maxLength: 20 }));

  it('equals node:crypto createHmac for any secret, tenant and timestamp', () => {
    fc.assert(
      fc.property(secret, tenantWire, timestamp, (key, tenant, at) => {
        const expected = createHmac('sha256', Buffer.from(key, 'utf8'))
          .update(`${tenant}:${at}`, 'latin1')
          .digest('hex');
        expect(signWire(hmacKey(key), tenant, at)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('equals it for keys of one block, one byte either side, and two blocks', () => {
    for (const length of [63, 64, 65, 128, 129]) {
      const key = 'k'.repeat(length);
      const expected = createHmac('sha256', key).update('t:1', 'latin1').digest('hex');
      expect(signWire(hmacKey(key), 't', '1')).toBe(expected);
    }
  });
});
