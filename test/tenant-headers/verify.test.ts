import { describe, expect, it } from 'vitest';
import {
  createTenantSigner,
  createTenantVerifier,
  sign,
  type IncomingHeaders,
  type TenantHeaderFailure,
} from '../../src/tenant-headers/index.ts';

const SECRET = 'dev-secret-change-in-production';
const TENANT = 'test-tenant-123';
const NOW = 1_763_596_800_000;
const TS = String(NOW);
const GOOD = sign(SECRET, TENANT, TS);
const verify = createTenantVerifier({ secret: SECRET, now: () => NOW });

const headers = (overrides: Record<string, string | string[] | undefined>): IncomingHeaders => ({
  'x-tb-tenant-id': TENANT,
  'x-tb-timestamp': TS,
  'x-tb-signature': GOOD,
  ...overrides,
});

describe('verify: every missing or malformed header has its own code', () => {
  const cases: [string, Record<string, string | string[] | undefined>, TenantHeaderFailure][] = [
    ['tenant id absent', { 'x-tb-tenant-id': undefined }, 'TENANT_ID_MISSING'],
    ['tenant id empty', { 'x-tb-tenant-id': '' }, 'TENANT_ID_MISSING'],
    ['timestamp absent', { 'x-tb-timestamp': undefined }, 'TIMESTAMP_MISSING'],
    ['timestamp empty', { 'x-tb-timestamp': '' }, 'TIMESTAMP_MISSING'],
    ['signature absent', { 'x-tb-signature': undefined }, 'SIGNATURE_MISSING'],
    ['signature empty', { 'x-tb-signature': '' }, 'SIGNATURE_MISSING'],
    ['timestamp not a number', { 'x-tb-timestamp': 'yesterday' }, 'TIMESTAMP_MALFORMED'],
    ['timestamp with a fraction', { 'x-tb-timestamp': `${TS}.5` }, 'TIMESTAMP_MALFORMED'],
    ['timestamp in hex', { 'x-tb-timestamp': '0x19a9e5c8000' }, 'TIMESTAMP_MALFORMED'],
    ['timestamp beyond int64', { 'x-tb-timestamp': '9223372036854775808' }, 'TIMESTAMP_MALFORMED'],
    ['timestamp 5 min + 1 ms old', { 'x-tb-timestamp': String(NOW - 300_001) }, 'TIMESTAMP_SKEWED'],
    [
      'timestamp far in the future',
      { 'x-tb-timestamp': String(NOW + 3_600_000) },
      'TIMESTAMP_SKEWED',
    ],
    [
      'signature in upper-case hex',
      { 'x-tb-signature': GOOD.toUpperCase() },
      'SIGNATURE_MALFORMED',
    ],
    ['signature too short', { 'x-tb-signature': GOOD.slice(1) }, 'SIGNATURE_MALFORMED'],
    ['signature not hex', { 'x-tb-signature': `${GOOD.slice(1)}z` }, 'SIGNATURE_MALFORMED'],
    ['signature of another tenant', { 'x-tb-tenant-id': 'other-tenant' }, 'SIGNATURE_MISMATCH'],
    [
      'signature with another key',
      { 'x-tb-signature': sign('another-secret', TENANT, TS) },
      'SIGNATURE_MISMATCH',
    ],
  ];

  it.each(cases)('%s → %s', (_name, overrides, code) => {
    expect(verify(headers(overrides))).toEqual({ ok: false, code });
  });

  it('accepts the well-formed set', () => {
    expect(verify(headers({}))).toEqual({ ok: true, tenantId: TENANT, timestampMs: NOW });
  });
});

describe('verify: Go semantics', () => {
  it('checks in the Go order, so the first failure wins', () => {
    const none = {
      'x-tb-tenant-id': undefined,
      'x-tb-timestamp': undefined,
      'x-tb-signature': undefined,
    };
    expect(verify(none)).toEqual({ ok: false, code: 'TENANT_ID_MISSING' });
    expect(verify({ ...none, 'x-tb-tenant-id': TENANT })).toEqual({
      ok: false,
      code: 'TIMESTAMP_MISSING',
    });
    expect(verify(headers({ 'x-tb-timestamp': 'x', 'x-tb-signature': 'y' }))).toEqual({
      ok: false,
      code: 'TIMESTAMP_MALFORMED',
    });
    expect(verify(headers({ 'x-tb-timestamp': '1', 'x-tb-signature': 'y' }))).toEqual({
      ok: false,
      code: 'TIMESTAMP_SKEWED',
    });
  });

  it.each(['+' + TS, '0' + TS, '000' + TS])(
    'accepts a timestamp ParseInt accepts (%s) when signed as sent',
    (timestamp) => {
      const result = verify(
        headers({ 'x-tb-timestamp': timestamp, 'x-tb-signature': sign(SECRET, TENANT, timestamp) }),
      );
      expect(result).toEqual({ ok: true, tenantId: TENANT, timestampMs: NOW });
    },
  );

  it('signs over the timestamp text as received, not a re-formatted number', () => {
    expect(verify(headers({ 'x-tb-timestamp': '0' + TS }))).toEqual({
      ok: false,
      code: 'SIGNATURE_MISMATCH',
    });
  });

  it('reads the first value of a repeated header, as Go Header.Get does', () => {
    expect(verify(headers({ 'x-tb-signature': [GOOD, 'f'.repeat(64)] })).ok).toBe(true);
    expect(verify(headers({ 'x-tb-signature': ['f'.repeat(64), GOOD] }))).toEqual({
      ok: false,
      code: 'SIGNATURE_MISMATCH',
    });
  });
});

describe('signer', () => {
  it('stamps every call afresh, in milliseconds', () => {
    let clock = NOW;
    const signer = createTenantSigner({ tenantId: TENANT, secret: SECRET, now: () => clock });
    const first = signer.headers();
    clock += 42.9;
    const second = signer.headers();
    expect(first['X-TB-Timestamp']).toBe(TS);
    expect(second['X-TB-Timestamp']).toBe(String(NOW + 42));
    expect(second['X-TB-Signature']).toBe(sign(SECRET, TENANT, String(NOW + 42)));
    expect(second['X-TB-Signature']).not.toBe(first['X-TB-Signature']);
  });

  it('uses the real clock by default', () => {
    const before = Date.now();
    const stamp = Number(
      createTenantSigner({ tenantId: TENANT, secret: SECRET }).headers()['X-TB-Timestamp'],
    );
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Date.now());
  });
});
