/** Response shapes and assertion helpers shared by the contract tests (CONTRACT.md section B). */
import { expect } from 'vitest';
import { z } from 'zod';
import type { Reply } from './client.ts';

/** Go `time.Format(RFC3339Nano)` in UTC: trailing zeros of the fraction (and a bare ".") dropped. */
export const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{0,8}[1-9])?Z$/;
/** REST timestamps: `time.UnixMilli(ms).UTC().Format(RFC3339Nano)`, so at most 3 fraction digits. */
export const REST_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{0,2}[1-9])?Z$/;
/** Canonical lower-case UUID (any version). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const restItem = z.strictObject({
  uid: z.string().regex(UUID),
  version: z.number().int(),
  updatedAt: z.string().regex(REST_TS),
  // omitempty: absent (never null) while the row is live
  deletedAt: z.string().regex(REST_TS).optional(),
  payload: z.record(z.string(), z.unknown()),
});
export type RestItem = z.infer<typeof restItem>;

export const listBody = z.strictObject({
  items: z.array(restItem),
  nextCursor: z.string().optional(),
});

export const sessionBody = z.strictObject({
  id: z.string().regex(UUID_V4),
  userId: z.string().regex(UUID),
  createdAt: z.string().regex(RFC3339_NANO),
  expiresAt: z.string().regex(RFC3339_NANO),
  epoch: z.number().int(),
});
export type SessionBody = z.infer<typeof sessionBody>;

export const record = z.record(z.string(), z.unknown());

/** Parses the reply body as a REST item, after checking the status. */
export function itemOf(reply: Reply, status = 200): RestItem {
  expect(reply.status, reply.text).toBe(status);
  return restItem.parse(reply.json);
}

export function listOf(reply: Reply): z.infer<typeof listBody> {
  expect(reply.status, reply.text).toBe(200);
  return listBody.parse(reply.json);
}

/** `writeError`: application/json `{"error", "correlation_id"}` + newline; id = response header. */
export function expectJsonError(reply: Reply, status: number, message: string | RegExp): void {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers['content-type']).toBe('application/json');
  expect(reply.text.endsWith('\n')).toBe(true);
  const body = z.strictObject({ error: z.string(), correlation_id: z.string() }).parse(reply.json);
  if (typeof message === 'string') expect(body.error).toBe(message);
  else expect(body.error).toMatch(message);
  expect(body.correlation_id).toBe(reply.headers['x-correlation-id']);
}

/** `http.Error`: text/plain, nosniff, message + newline. */
export function expectTextError(reply: Reply, status: number, message: string): void {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.text).toBe(`${message}\n`);
}

/** 410: `{"deletedAt": ..., "error": ...}`, keys sorted, no correlation_id. */
export function expectGone(reply: Reply, error: string, deletedAt?: string): void {
  expect(reply.status, reply.text).toBe(410);
  const body = z
    .strictObject({ deletedAt: z.string().regex(REST_TS), error: z.string() })
    .parse(reply.json);
  expect(body.error).toBe(error);
  if (deletedAt !== undefined) expect(body.deletedAt).toBe(deletedAt);
  expect(Object.keys(record.parse(reply.json))).toEqual(['deletedAt', 'error']);
}

/** Milliseconds since the epoch of a REST timestamp. */
export const msOf = (ts: string): number => Date.parse(ts);

/** Nanoseconds since the epoch of an RFC3339Nano UTC timestamp (exact, unlike Date.parse). */
export function nanosOf(ts: string): bigint {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (match === null) throw new Error(`not RFC3339Nano: ${ts}`);
  const seconds = BigInt(Date.parse(`${match[1]!}Z`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** The list cursor format of B.6: base64url, no padding, of `"<updated_at_ms>|<uuid>"`. */
export const cursorFor = (item: RestItem): string =>
  Buffer.from(`${msOf(item.updatedAt)}|${item.uid}`, 'utf8').toString('base64url');

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
