import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';

/** An upstream answer, body fully read (so the connection goes back to the pool). */
export interface RawReply {
  readonly status: number;
  /** Lower-cased names, as undici reports them. */
  readonly headers: Readonly<IncomingHttpHeaders>;
  readonly text: string;
}

export type JsonResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

export function parseJson(text: string): JsonResult {
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, value };
  } catch {
    return { ok: false };
  }
}

export const isSuccess = (status: number): boolean => status >= 200 && status <= 299;

export function headerValue(reply: RawReply, name: string): string | undefined {
  const value = reply.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

// Go's writeError body (CONTRACT.md B.1); 410 bodies have `error` but no correlation_id.
const GoErrorBody = z.object({ error: z.string(), correlation_id: z.string().optional() });

const MAX_BACKEND_TEXT = 200;

/** One line of at most ~200 characters: backend text ends up in a message shown to clients. */
export function clip(text: string): string | undefined {
  const line = text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  if (line === '') return undefined;
  return line.length <= MAX_BACKEND_TEXT ? line : `${line.slice(0, MAX_BACKEND_TEXT - 1)}…`;
}

export interface BackendFacts {
  /** The `error` of a Go JSON error body, or the text of a text/plain one (`unauthorized`). */
  readonly backendError: string | undefined;
  /** From the body, else from the X-Correlation-ID response header. */
  readonly correlationId: string | undefined;
}

/**
 * The backend's error text and correlation id from a non-2xx reply. `redact` runs on the raw text
 * before it is clipped: a secret cut in half by the clip would no longer be recognised.
 */
export function backendFacts(
  reply: RawReply,
  redact: (text: string) => string = (text) => text,
): BackendFacts {
  const json = parseJson(reply.text);
  const body = json.ok ? GoErrorBody.safeParse(json.value) : undefined;
  const fromBody = body?.success === true ? body.data : undefined;
  // The 409 epoch body echoes the request's correlation header, which may be "".
  const bodyId = fromBody?.correlation_id === '' ? undefined : fromBody?.correlation_id;
  return {
    backendError: clip(redact(fromBody?.error ?? reply.text)),
    correlationId: clip(redact(bodyId ?? headerValue(reply, 'x-correlation-id') ?? '')),
  };
}

/**
 * The answers that mean "this sync session is no good any more" (CONTRACT.md B.4): 428 (unknown
 * or expired session, e.g. after a wipe or a backend restart) and 409 `epoch_mismatch`. Both are
 * sent before the handler runs, so retrying even a POST cannot apply it twice.
 */
export function sessionRejected(reply: RawReply): boolean {
  if (reply.status === 428) return true;
  if (reply.status !== 409) return false;
  const json = parseJson(reply.text);
  const body = json.ok ? GoErrorBody.safeParse(json.value) : undefined;
  return body?.success === true && body.data.error === 'epoch_mismatch';
}
