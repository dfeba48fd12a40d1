import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startBackend } from '../../src/backend/index.ts';
import { EX_CONFIG, EX_USAGE, runSign, type SignOptions } from '../../src/cli/sign.ts';
import { loadConfig } from '../../src/config.ts';
import { createTenantVerifier, toWireValue } from '../../src/tenant-headers/index.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { JWT_SECRET, TENANT_SECRET, token } from './helpers.ts';

// CONTRACT.md A.7: tenant test-tenant-123, secret dev-secret-change-in-production.
const A7 = {
  secret: 'dev-secret-change-in-production',
  tenant: 'test-tenant-123',
  timestamp: 1763596800000,
  signature: 'f9fffc461d8ed868f4cb4c7269a78edbf6ba6632af1d187400a4a12cc84ce2ba',
};

function sign(env: Record<string, string | undefined>, options: SignOptions = {}) {
  const lines: string[] = [];
  const code = runSign(
    loadConfig({ env }),
    (line) => {
      lines.push(line);
    },
    options,
  );
  return { code, lines, text: lines.join('\n') };
}

/** The `Name: value` lines as node:http would deliver them: lower-case names, Latin-1 bytes. */
function received(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    lines
      .filter((line) => line.startsWith('X-TB-'))
      .map((line) => {
        const colon = line.indexOf(': ');
        return [line.slice(0, colon).toLowerCase(), toWireValue(line.slice(colon + 2))];
      }),
  );
}

describe('toolbridge-mcp sign', () => {
  it('prints headers that verify for a frozen clock, the window and a curl example', () => {
    const { code, lines, text } = sign(
      {
        TOOLBRIDGE_TENANT_HEADER_SECRET: A7.secret,
        TOOLBRIDGE_TENANT_ID: A7.tenant,
        TOOLBRIDGE_GO_API_BASE_URL: 'https://api.example.com/api',
        TOOLBRIDGE_AUTH: 'none',
      },
      { now: () => A7.timestamp },
    );
    expect(code).toBe(0);
    expect(lines.slice(0, 3)).toEqual([
      `X-TB-Tenant-ID: ${A7.tenant}`,
      `X-TB-Timestamp: ${A7.timestamp}`,
      `X-TB-Signature: ${A7.signature}`,
    ]);
    const verify = createTenantVerifier({ secret: A7.secret, now: () => A7.timestamp + 299_000 });
    expect(verify(received(lines))).toEqual({
      ok: true,
      tenantId: A7.tenant,
      timestampMs: A7.timestamp,
    });
    expect(text).toContain('# valid until 2025-11-20T00:05:00.000Z, 300 s');
    expect(lines.at(-1)).toBe(
      `# curl -X POST 'https://api.example.com/api/v1/sync/sessions' -H "Authorization: Bearer $TOKEN" -H 'X-TB-Tenant-ID: ${A7.tenant}' -H 'X-TB-Timestamp: ${A7.timestamp}' -H 'X-TB-Signature: ${A7.signature}'`,
    );
    expect(text).not.toContain(A7.secret);
  });

  it('prints a non-ASCII tenant id as text, signed over its UTF-8 bytes', () => {
    const tenant = 'Zürich-租户';
    const { code, lines, text } = sign(
      { TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET },
      { now: () => A7.timestamp, tenantId: tenant },
    );
    expect(code).toBe(0);
    expect(lines[0]).toBe(`X-TB-Tenant-ID: ${tenant}`);
    const expected = createHmac('sha256', Buffer.from(TENANT_SECRET, 'utf8'))
      .update(Buffer.from(`${tenant}:${A7.timestamp}`, 'utf8'))
      .digest('hex');
    expect(lines[2]).toBe(`X-TB-Signature: ${expected}`);
    const verify = createTenantVerifier({ secret: TENANT_SECRET, now: () => A7.timestamp });
    expect(verify(received(lines))).toMatchObject({ ok: true, tenantId: tenant });
    // The example falls back to the Go API's default address.
    expect(text).toContain("'http://localhost:8081/v1/sync/sessions'");
    expect(text).toContain(`-H 'X-TB-Tenant-ID: ${tenant}'`);
    expect(text).not.toContain(TENANT_SECRET);
  });

  it('quotes a tenant id with a quote in it for the shell', () => {
    const { lines } = sign(
      { TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET },
      { tenantId: "o'neil" },
    );
    expect(lines.at(-1)).toContain(`-H 'X-TB-Tenant-ID: o'\\''neil'`);
  });

  it('lets an explicit tenant win over TOOLBRIDGE_TENANT_ID', () => {
    const { lines } = sign(
      { TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET, TOOLBRIDGE_TENANT_ID: 'pinned' },
      { tenantId: 'explicit' },
    );
    expect(lines[0]).toBe('X-TB-Tenant-ID: explicit');
  });

  it('is accepted by the embedded API with a real token', async () => {
    const api = await startBackend({
      port: 0,
      jwtSecret: JWT_SECRET,
      tenantHeaderSecret: TENANT_SECRET,
    });
    onCleanup(() => api.close());
    const { lines } = sign({
      TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
      TOOLBRIDGE_TENANT_ID: 'acme',
    });
    const response = await fetch(`${api.url}/v1/sync/sessions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await token()}`, ...received(lines) },
    });
    expect(response.status).toBe(201);
  });

  it('refuses without TOOLBRIDGE_TENANT_HEADER_SECRET (exit 78)', () => {
    const { code, text } = sign({ TOOLBRIDGE_TENANT_ID: 'acme' });
    expect(code).toBe(EX_CONFIG);
    expect(text).toContain('TOOLBRIDGE_TENANT_HEADER_SECRET is not set');
    expect(text).not.toContain('X-TB-');
  });

  it('refuses without a tenant, or with an unusable one (exit 64)', () => {
    const none = sign({ TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET });
    expect(none.code).toBe(EX_USAGE);
    expect(none.text).toContain('no tenant: set TOOLBRIDGE_TENANT_ID');
    const padded = sign({ TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET }, { tenantId: ' acme' });
    expect(padded.code).toBe(EX_USAGE);
    expect(padded.text).toContain('must not start or end with whitespace');
  });

  it('sends problems to `err` when one is given', () => {
    const errors: string[] = [];
    const { code, lines } = sign(
      {},
      {
        err: (line) => {
          errors.push(line);
        },
      },
    );
    expect(code).toBe(EX_CONFIG);
    expect(lines).toEqual([]);
    expect(errors).toHaveLength(1);
  });
});
