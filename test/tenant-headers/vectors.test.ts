import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/hmac-vectors.json' with { type: 'json' };
import {
  createTenantSigner,
  createTenantVerifier,
  sign,
  toWireValue,
  type IncomingHeaders,
} from '../../src/tenant-headers/index.ts';

const byId = (id: string) => {
  const vector = fixture.vectors.find((v) => v.id === id);
  if (vector === undefined) throw new Error(`no vector ${id}`);
  return vector;
};

/** Headers as node:http would hand them to the verifier: lower-case names, wire bytes. */
const incoming = (tenant: string, timestamp: string, signature: string): IncomingHeaders => ({
  'x-tb-tenant-id': tenant,
  'x-tb-timestamp': timestamp,
  'x-tb-signature': signature,
});

describe('hmac-vectors.json', () => {
  const signable = fixture.vectors.filter((v) => v.secret !== '');

  it.each(signable)('$id: sign() reproduces the signature', (v) => {
    expect(sign(v.secret, v.tenant_id, v.x_tb_timestamp_header)).toBe(v.signature);
  });

  it.each(signable.filter((v) => v.tenant_id !== ''))(
    '$id: the signer emits it and the verifier accepts it at that instant',
    (v) => {
      const signer = createTenantSigner({
        tenantId: v.tenant_id,
        secret: v.secret,
        now: () => v.timestamp_ms,
      });
      const headers = signer.headers();
      expect(headers).toEqual({
        'X-TB-Tenant-ID': toWireValue(v.tenant_id),
        'X-TB-Timestamp': v.x_tb_timestamp_header,
        'X-TB-Signature': v.signature,
      });
      const verify = createTenantVerifier({ secret: v.secret, now: () => v.timestamp_ms });
      const wire = incoming(
        headers['X-TB-Tenant-ID'],
        headers['X-TB-Timestamp'],
        headers['X-TB-Signature'],
      );
      expect(verify(wire)).toEqual({
        ok: true,
        tenantId: v.tenant_id,
        timestampMs: v.timestamp_ms,
      });
    },
  );

  it('v3: the base64-looking secret is used as text, never decoded', () => {
    const v = byId('v3-base64-looking-secret-used-raw');
    expect(sign(v.secret, v.tenant_id, v.x_tb_timestamp_header)).not.toBe(
      v.wrong_if_key_base64_decoded,
    );
  });

  it('v4: a non-ASCII tenant id goes on the wire as its UTF-8 bytes', () => {
    const v = byId('v4-unicode-tenant');
    expect(Buffer.from(toWireValue(v.tenant_id), 'latin1').toString('hex')).toBe(
      v.x_tb_tenant_id_wire_bytes_hex,
    );
  });

  it('v4: the Latin-1 trap (bytes sent unencoded) fails verification', () => {
    const trap = byId('v4-unicode-tenant').latin1_trap_example!;
    const secret = byId('v4-unicode-tenant').secret;
    const timestamp = '1763600000000';
    const verify = createTenantVerifier({ secret, now: () => Number(timestamp) });
    // What Node sends when the value is not pre-encoded: one byte per char.
    const mangled = Buffer.from(trap.node_fetch_unencoded_wire_hex, 'hex').toString('latin1');
    const correct = Buffer.from(trap.python_wire_hex, 'hex').toString('latin1');
    expect(toWireValue(trap.tenant_id)).toBe(correct);
    expect(verify(incoming(correct, timestamp, sign(secret, trap.tenant_id, timestamp)))).toEqual(
      expect.objectContaining({ ok: true, tenantId: trap.tenant_id }),
    );
    expect(verify(incoming(mangled, timestamp, sign(secret, trap.tenant_id, timestamp)))).toEqual({
      ok: false,
      code: 'SIGNATURE_MISMATCH',
    });
  });

  it('v5: an empty secret is refused (the Go API never verifies with one)', () => {
    const v = byId('v5-empty-secret');
    expect(() => sign(v.secret, v.tenant_id, v.x_tb_timestamp_header)).toThrow(RangeError);
    expect(() => createTenantSigner({ tenantId: v.tenant_id, secret: v.secret })).toThrow(
      RangeError,
    );
    expect(() => createTenantVerifier({ secret: v.secret })).toThrow(RangeError);
  });

  it('v6: an empty tenant id cannot be signed for and counts as missing', () => {
    const v = byId('v6-empty-tenant-id');
    expect(() => createTenantSigner({ tenantId: '', secret: v.secret })).toThrow(RangeError);
    const verify = createTenantVerifier({ secret: v.secret, now: () => v.timestamp_ms });
    expect(verify(incoming('', v.x_tb_timestamp_header, v.signature))).toEqual({
      ok: false,
      code: 'TENANT_ID_MISSING',
    });
  });

  it('v8: a whitespace-padded tenant never verifies once the header is trimmed', () => {
    const v = byId('v8-whitespace-padded-tenant');
    expect(sign(v.secret, v.tenant_id.trim(), v.x_tb_timestamp_header)).toBe(
      v.signature_go_expects_after_trim,
    );
    const verify = createTenantVerifier({ secret: v.secret, now: () => v.timestamp_ms });
    expect(verify(incoming(v.tenant_id.trim(), v.x_tb_timestamp_header, v.signature))).toEqual({
      ok: false,
      code: 'SIGNATURE_MISMATCH',
    });
  });

  it('v9: a timestamp in seconds is read as milliseconds and rejected as skewed', () => {
    const v = byId('v9-seconds-instead-of-ms');
    const verify = createTenantVerifier({
      secret: v.secret,
      now: () => byId('v1-basic').timestamp_ms,
    });
    expect(verify(incoming(v.tenant_id, v.x_tb_timestamp_header, v.signature))).toEqual({
      ok: false,
      code: 'TIMESTAMP_SKEWED',
    });
  });
});

describe('skew boundaries', () => {
  const { secret, tenant_id: tenant } = byId('v1-basic');

  it.each(fixture.skew_boundary_examples)(
    'ts $timestamp_ms at server time $server_now_ms (|skew| $abs_skew_s s) → accepted: $accepted',
    ({ timestamp_ms, server_now_ms, accepted }) => {
      const headers = createTenantSigner({
        tenantId: tenant,
        secret,
        now: () => timestamp_ms,
      }).headers();
      const verify = createTenantVerifier({ secret, now: () => server_now_ms });
      const result = verify(
        incoming(headers['X-TB-Tenant-ID'], headers['X-TB-Timestamp'], headers['X-TB-Signature']),
      );
      expect(result.ok).toBe(accepted);
      if (!result.ok) expect(result.code).toBe('TIMESTAMP_SKEWED');
    },
  );

  it('honours a configured window, inclusive', () => {
    const ts = 1_763_596_800_000;
    const headers = createTenantSigner({ tenantId: tenant, secret, now: () => ts }).headers();
    const wire = incoming(
      headers['X-TB-Tenant-ID'],
      headers['X-TB-Timestamp'],
      headers['X-TB-Signature'],
    );
    const at = (now: number) =>
      createTenantVerifier({ secret, maxSkewSeconds: 60, now: () => now })(wire);
    expect(at(ts + 60_000).ok).toBe(true);
    expect(at(ts - 60_000).ok).toBe(true);
    expect(at(ts + 60_001)).toEqual({ ok: false, code: 'TIMESTAMP_SKEWED' });
  });
});
