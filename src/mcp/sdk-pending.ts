/**
 * 2025-era POSTs that the SDK's session transport answers: the requests the direct path leaves to
 * it (a progress token, a batch, an id already in flight, `_meta` the protocol acts on).
 *
 * In JSON-response mode the transport answers such a POST once every request in it has its
 * result, and two things leave it waiting for ever, with the HTTP exchange open and the drain
 * held until the socket closes: a `notifications/cancelled` for one of its requests (the protocol
 * drops the result), and the end of the session (the transport forgets the POST). Here the POST
 * then ends as a direct call would: with 202 and no body once every request in it was cancelled,
 * and with 404 "Session not found" when its session ended. When only some requests of a batch
 * are cancelled, each of them is answered to the transport in place of the dropped result, so it
 * can answer the POST once the others are done; the bridge leaves those stand-ins out
 * (`withoutCancelled`), since a cancelled request gets no response.
 */
import {
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResponse,
} from '@modelcontextprotocol/server';
import type { RequestId } from './plain-call.ts';
import { isRecord, isRequestId } from './plain-call.ts';

export type EarlyEnd = 'cancelled' | 'ended';

interface Waiting {
  /** Ids not cancelled yet. */
  readonly open: Set<RequestId>;
  /** Ids cancelled while others of the same POST were still open. */
  readonly cancelled: Set<RequestId>;
  readonly end: (why: EarlyEnd) => void;
}

export interface PendingRequests {
  /**
   * Registers a POST carrying requests `ids` for the session whose transport is `session`.
   * `early` resolves if it must end before the SDK answers; call `done()` once it has ended.
   */
  wait(
    session: object,
    ids: readonly RequestId[],
  ): { early: Promise<EarlyEnd>; cancelled: ReadonlySet<RequestId>; done(): void };
  /**
   * A `notifications/cancelled` named these ids. `standIn(id)` is called for each one that was
   * part of a POST whose other requests are still running.
   */
  cancel(session: object, ids: readonly RequestId[], standIn: (id: RequestId) => void): void;
  /** The session ended. */
  endSession(session: object): void;
}

/** The ids of the requests (not notifications or responses) in a POST body, single or batch. */
export function requestIds(body: unknown): RequestId[] {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const ids: RequestId[] = [];
  for (const message of messages) {
    if (isRecord(message) && typeof message.method === 'string' && isRequestId(message.id)) {
      ids.push(message.id);
    }
  }
  return ids;
}

const isJsonRpc = (message: unknown): boolean =>
  isJSONRPCRequest(message) || isJSONRPCNotification(message) || isJSONRPCResponse(message);

/** The ids a cancellation message (single or batch) names, if the SDK would accept the POST. */
export function cancelledIds(body: unknown): RequestId[] {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  // The SDK refuses the whole POST if any message in it is not JSON-RPC 2.0: then nothing it
  // names is cancelled either.
  if (!messages.every(isJsonRpc)) return [];
  const ids: RequestId[] = [];
  for (const message of messages) {
    if (!isRecord(message) || message.method !== 'notifications/cancelled') continue;
    const params = message.params;
    if (isRecord(params) && isRequestId(params.requestId)) ids.push(params.requestId);
  }
  return ids;
}

export function createPendingRequests(): PendingRequests {
  const bySession = new WeakMap<object, Set<Waiting>>();
  return {
    wait(session, ids) {
      let waiting = bySession.get(session);
      if (waiting === undefined) {
        waiting = new Set();
        bySession.set(session, waiting);
      }
      const { promise, resolve } = Promise.withResolvers<EarlyEnd>();
      const entry: Waiting = { open: new Set(ids), cancelled: new Set(), end: resolve };
      waiting.add(entry);
      const set = waiting;
      return {
        early: promise,
        cancelled: entry.cancelled,
        done() {
          set.delete(entry);
        },
      };
    },

    cancel(session, ids, standIn) {
      const waiting = bySession.get(session);
      if (waiting === undefined) return;
      for (const entry of waiting) {
        const hit = ids.filter((id) => entry.open.delete(id));
        if (hit.length === 0) continue;
        if (entry.open.size === 0) {
          entry.end('cancelled');
          continue;
        }
        for (const id of hit) {
          entry.cancelled.add(id);
          standIn(id);
        }
      }
    },

    endSession(session) {
      const waiting = bySession.get(session);
      if (waiting === undefined) return;
      bySession.delete(session);
      for (const entry of waiting) entry.end('ended');
    },
  };
}

/** A batch answer without the responses to requests that were cancelled (see the file comment). */
export async function withoutCancelled(
  response: Response,
  cancelled: ReadonlySet<RequestId>,
): Promise<Response> {
  if (cancelled.size === 0 || response.status !== 200) return response;
  const body: unknown = await response.json();
  const kept = Array.isArray(body)
    ? body.filter((message) => !(isRecord(message) && isCancelled(message.id, cancelled)))
    : body;
  return Response.json(kept, { status: response.status, headers: response.headers });
}

const isCancelled = (id: unknown, cancelled: ReadonlySet<RequestId>): boolean =>
  isRequestId(id) && cancelled.has(id);
