import { z } from 'zod';

/**
 * What any replica needs to know about an MCP session: small, serialisable, and free of secrets.
 * The live objects that serve a session (transports, protocol instances) stay in the process that
 * built them; this record is what the session store keeps and shares.
 *
 * Unknown top-level keys are stripped on parse, so a principal or request object spread into a
 * record by mistake cannot carry a bearer token into the store.
 */
export const SessionRecord = z.object({
  id: z.string().min(1).max(256),
  /** The principal key: tenant + "\u0000" + subject (never a token). */
  owner: z.string().min(1),
  kind: z.enum(['streamable', 'sse']),
  /** What `initialize` settled (2025-era); a legacy SSE session is never rebuilt, so it has none. */
  protocolVersion: z.string().optional(),
  clientInfo: z.looseObject({ name: z.string(), version: z.string() }).optional(),
  capabilities: z.record(z.string(), z.unknown()).optional(),
  /** Milliseconds since the epoch. */
  createdAt: z.number(),
  /** Milliseconds since the epoch, as the store's clock saw the last create or touch. */
  lastUsedAt: z.number(),
  /** The replica holding the session's live stream (legacy SSE), so others can relay to it. */
  holder: z.string().min(1).optional(),
});
export type SessionRecord = z.output<typeof SessionRecord>;
export type SessionKind = SessionRecord['kind'];

export const SESSION_KINDS: readonly SessionKind[] = ['streamable', 'sse'];

/** The part of a record that never changes after creation and travels as one JSON value. */
export const StoredDetails = SessionRecord.pick({
  protocolVersion: true,
  clientInfo: true,
  capabilities: true,
  createdAt: true,
  holder: true,
});
export type StoredDetails = z.output<typeof StoredDetails>;
