/** Assertions shared by the end-to-end tests. */
import { createHmac } from 'node:crypto';
import { expect } from 'vitest';
import type { ExpectedRequest } from './fixture.ts';
import { TENANT, type Recorded, type ToolResult } from './stack.ts';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** X-TB-* present, and the signature verifies with the tenant secret (CONTRACT.md A.3). */
export function expectTenantHeaders(request: Recorded, tenantHeaderSecret: string): void {
  const tenant = request.headers['x-tb-tenant-id'];
  const timestamp = request.headers['x-tb-timestamp'];
  const signature = request.headers['x-tb-signature'];
  expect(tenant).toBe(TENANT);
  expect(timestamp).toMatch(/^[1-9]\d{12}$/);
  const wanted = createHmac('sha256', tenantHeaderSecret)
    .update(`${tenant ?? ''}:${timestamp ?? ''}`)
    .digest('hex');
  expect(signature).toBe(wanted);
}

/** One data request against what tools.json prescribes, plus the headers every call carries. */
export function expectDataRequest(
  request: Recorded,
  expected: ExpectedRequest,
  context: { token: string; tenantHeaderSecret: string },
): void {
  expect({ method: request.method, path: request.path }).toEqual({
    method: expected.method,
    path: expected.path,
  });
  expect(request.query).toEqual(expected.query);
  if (expected.body === undefined) {
    expect(request.rawBody).toBe('');
    expect(request.headers['content-type']).toBeUndefined();
  } else {
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual(expected.body);
    expect(Object.keys(request.body ?? {})).toEqual(Object.keys(expected.body));
  }
  expect(request.headers['if-match']).toBe(expected.ifMatch);
  expect(request.headers['authorization']).toBe(`Bearer ${context.token}`);
  expect(request.headers['x-sync-session']).toMatch(UUID);
  expect(request.headers['x-sync-epoch']).toMatch(/^\d+$/);
  // X-Debug-Sub goes with session creation only (CONTRACT.md A.2 step 5).
  expect(request.headers['x-debug-sub']).toBeUndefined();
  expectTenantHeaders(request, context.tenantHeaderSecret);
}

/** The session POST: no body, the caller's bearer, X-Debug-Sub = the token's sub, X-TB-*. */
export function expectSessionPost(
  request: Recorded,
  context: { token: string; sub: string; tenantHeaderSecret: string },
): void {
  expect(request.rawBody).toBe('');
  expect(request.headers['authorization']).toBe(`Bearer ${context.token}`);
  expect(request.headers['x-debug-sub']).toBe(context.sub);
  expect(request.headers['x-sync-session']).toBeUndefined();
  expectTenantHeaders(request, context.tenantHeaderSecret);
}

/** No configured secret or credential appears in a result a client sees. */
export function expectNoSecrets(result: ToolResult, secrets: readonly string[]): void {
  const shown = JSON.stringify(result);
  for (const secret of secrets) expect(shown).not.toContain(secret);
}
