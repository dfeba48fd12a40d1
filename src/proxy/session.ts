import { z } from 'zod';
import type { SyncSession } from './session-cache.ts';

/** The Go API's session TTL (CONTRACT.md B.4), used when the answer does not say. */
export const GO_SESSION_TTL_MS = 30 * 60 * 1000;

// Only `id` and `epoch` are required, as the Python proxy read them; the times are optional.
const SessionBody = z.object({
  id: z.string().min(1),
  epoch: z.number().int(),
  createdAt: z.unknown().optional(),
  expiresAt: z.unknown().optional(),
});

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Reads a POST /v1/sync/sessions answer; undefined when `id` or `epoch` is missing. Expiry is
 * `expiresAt` (else createdAt + 30 min), but never later than the session's lifetime counted from
 * when we sent the request on our own clock: a backend clock ahead of ours would otherwise make
 * us hand out sessions it has already dropped.
 */
export function readSession(body: unknown, sentAtMs: number): SyncSession | undefined {
  const parsed = SessionBody.safeParse(body);
  if (!parsed.success) return undefined;
  const createdAt = parseTime(parsed.data.createdAt);
  const expiresAt =
    parseTime(parsed.data.expiresAt) ??
    (createdAt === undefined ? undefined : createdAt + GO_SESSION_TTL_MS);
  const lifetime =
    createdAt !== undefined && expiresAt !== undefined ? expiresAt - createdAt : GO_SESSION_TTL_MS;
  const localExpiry = sentAtMs + lifetime;
  return {
    id: parsed.data.id,
    epoch: parsed.data.epoch,
    expiresAtMs: expiresAt === undefined ? localExpiry : Math.min(expiresAt, localExpiry),
  };
}
