/**
 * The direct path for the one message a 2025-era session sends most: a plain `tools/call`.
 *
 * The SDK's session transport answers every POST through a web Request, a zod parse of the
 * JSON-RPC union, the protocol dispatcher's request and result handling, and a web Response.
 * bench/gateway.ts measured that at about two thirds of the gateway's CPU per call (619 µs per
 * call through the SDK, 208 µs here, in one run). A call of the narrow shape plain-call.ts
 * recognises (a single request, known tool, object arguments, no progress token or other `_meta`
 * the SDK acts on), with headers the transport would accept, runs the ToolCaller the SDK runs and
 * gets the answer the transport would have written, byte for byte (test/mcp/direct-call.test.ts
 * compares both paths). Everything else, errors included, still goes to the SDK, so every
 * rejection keeps the SDK's wording.
 *
 * In flight, a direct call is cancelled as the SDK's would be: by `notifications/cancelled` for
 * its id, or by the end of its session (DELETE, eviction, shutdown). The SDK then sends nothing
 * and leaves the HTTP exchange open until the socket closes. Here it ends at once: a cancelled
 * call with 202 and no body (the SDK client reads that as nothing to deliver, and no longer
 * waits for it anyway); a call whose session ended with 404 and the JSON-RPC error -32001
 * "Session not found" for the call's id, so its caller fails promptly. (sdk-pending.ts does the
 * same for the calls left to the SDK.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import {
  acceptsAndSendsJson,
  joinedHeader,
  plainToolCall,
  wireResult,
  writeJson,
  type DirectRequest,
  type PlainToolCall,
  type RequestId,
} from './plain-call.ts';
import type { ToolCaller } from './tool-call.ts';

/** The abort reason when a call's session ends under it (see the file comment). */
const SESSION_ENDED = new DOMException('MCP session ended', 'AbortError');

/** The session transport's own header checks (406, 415, 400 on the version), all passed. */
export function transportWouldAccept(req: IncomingMessage): boolean {
  if (!acceptsAndSendsJson(req)) return false;
  const version = joinedHeader(req, 'mcp-protocol-version');
  return version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}

/**
 * A 2025-era session as the direct path sees it: its id, and its transport, an object that lives
 * exactly as long as the session does.
 */
export interface DirectSession {
  readonly id: string;
  readonly transport: object;
}

export interface DirectCalls {
  /** Serves `req` when it is a plain tools/call for `session`; false leaves it to the SDK. */
  serve(req: DirectRequest, res: ServerResponse, session: DirectSession): boolean;
  /** Aborts the direct calls a `notifications/cancelled` POST names (the SDK still gets it). */
  cancel(session: DirectSession, ids: readonly RequestId[]): void;
  /** The session ended: abort its direct calls. */
  endSession(session: DirectSession): void;
}

/** One direct call in flight, linked into its session's list. */
interface InFlight {
  readonly id: RequestId;
  readonly controller: AbortController;
  previous: InFlight | undefined;
  next: InFlight | undefined;
}

/**
 * A session's calls in flight. A linked list hung off the session's transport (in a WeakMap)
 * rather than Maps keyed by session and request id: adding and removing a call then touches no
 * long-lived hash table, and the list goes when the session's transport does.
 */
interface CallList {
  first: InFlight | undefined;
}

function find(list: CallList, id: RequestId): InFlight | undefined {
  for (let call = list.first; call !== undefined; call = call.next) {
    if (call.id === id) return call;
  }
  return undefined;
}

function unlink(list: CallList, call: InFlight): void {
  if (call.previous === undefined) {
    if (list.first === call) list.first = call.next;
  } else call.previous.next = call.next;
  if (call.next !== undefined) call.next.previous = call.previous;
  call.previous = undefined;
  call.next = undefined;
}

export function createDirectCalls(
  caller: ToolCaller,
  onerror: (error: Error) => void,
): DirectCalls {
  const running = new WeakMap<object, CallList>();

  async function run(
    call: PlainToolCall,
    req: DirectRequest,
    res: ServerResponse,
    sessionId: string,
    list: CallList,
    inFlight: InFlight,
  ): Promise<void> {
    const { controller } = inFlight;
    let status = 200;
    let payload: string | undefined;
    try {
      const result = await caller.call(call.name, call.args, req.auth, controller.signal);
      if (controller.signal.reason === SESSION_ENDED) {
        status = 404;
        const error = { code: -32001, message: 'Session not found' };
        payload = JSON.stringify({ jsonrpc: '2.0', error, id: call.id });
      } else if (!controller.signal.aborted) {
        payload = JSON.stringify({ result: wireResult(result), jsonrpc: '2.0', id: call.id });
      }
    } catch (error) {
      // ToolCaller turns every failure into a result; reaching here is a bug, shown generically.
      onerror(error instanceof Error ? error : new Error(String(error)));
      payload = JSON.stringify({
        jsonrpc: '2.0',
        id: call.id,
        error: { code: -32603, message: 'Internal error' },
      });
    } finally {
      unlink(list, inFlight);
    }
    if (res.writableEnded || res.destroyed) return;
    if (payload === undefined) {
      res.statusCode = 202;
      res.end();
      return;
    }
    writeJson(res, status, payload, status === 200 ? sessionId : undefined);
  }

  return {
    serve(req, res, session) {
      const call = plainToolCall(req.body, (name) => caller.has(name));
      if (call === undefined || !transportWouldAccept(req)) return false;
      let list = running.get(session.transport);
      if (list === undefined) {
        list = { first: undefined };
        running.set(session.transport, list);
      } else if (find(list, call.id) !== undefined) {
        // A second request reusing an id still in flight is the SDK's to sort out.
        return false;
      }
      const inFlight: InFlight = {
        id: call.id,
        controller: new AbortController(),
        previous: undefined,
        next: list.first,
      };
      if (list.first !== undefined) list.first.previous = inFlight;
      list.first = inFlight;
      void run(call, req, res, session.id, list, inFlight);
      return true;
    },

    cancel(session, ids) {
      const list = running.get(session.transport);
      if (list === undefined) return;
      for (const id of ids) find(list, id)?.controller.abort();
    },

    endSession(session) {
      const list = running.get(session.transport);
      if (list === undefined) return;
      running.delete(session.transport);
      let call = list.first;
      while (call !== undefined) {
        const { next } = call; // read before abort(): unlinking a call clears its `next`
        call.controller.abort(SESSION_ENDED);
        call = next;
      }
    },
  };
}
