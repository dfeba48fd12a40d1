/**
 * The direct path for the one message a 2025-era session sends most: a plain `tools/call`.
 *
 * The SDK's session transport answers every POST through a web Request, a zod parse of the
 * JSON-RPC union, the protocol dispatcher's request and result handling, and a web Response.
 * bench/gateway.ts measured that at about two thirds of the gateway's CPU per call (619 µs per
 * call through the SDK, 208 µs here, in one run). A call that matches the narrow shape below (a
 * single request, known tool, object arguments, no progress token or other `_meta` the SDK acts
 * on, headers the transport would accept) runs the same ToolCaller the SDK's handler runs and
 * gets the answer the transport would have written, byte for byte (test/mcp/direct-call.test.ts
 * compares both paths). Everything else, errors included, still goes to the SDK, so every
 * rejection keeps the SDK's wording.
 *
 * In flight, a direct call is cancelled as the SDK's would be: by `notifications/cancelled` for
 * its id, or by the end of its session (DELETE, eviction, shutdown). The SDK then sends nothing
 * and leaves the HTTP exchange open until the socket closes. Here it ends at once: a cancelled
 * call with 202 and no body (the SDK client reads that as nothing to deliver, and no longer
 * waits for it anyway); a call whose session ended with 404 and the JSON-RPC error -32001
 * "Session not found" for the call's id, so its caller fails promptly.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  SUPPORTED_PROTOCOL_VERSIONS,
  isJsonContentType,
  type AuthInfo,
} from '@modelcontextprotocol/server';
import type { ToolResult } from '../tools/index.ts';
import type { ToolCaller } from './tool-call.ts';

type RequestId = string | number;

export interface PlainToolCall {
  readonly id: RequestId;
  readonly name: string;
  readonly args: Record<string, unknown> | undefined;
  /** `params._meta` as sent (it passed `metaOk`). */
  readonly meta: unknown;
}

/** The abort reason when a call's session ends under it (see the file comment). */
const SESSION_ENDED = new DOMException('MCP session ended', 'AbortError');

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isRequestId = (value: unknown): value is RequestId =>
  typeof value === 'string' || Number.isSafeInteger(value);

const onlyKeys = (value: Record<string, unknown>, allowed: ReadonlySet<string>) =>
  Object.keys(value).every((key) => allowed.has(key));

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const PARAMS_KEYS = new Set(['name', 'arguments', '_meta']);

/** `_meta` the protocol layer acts on (progress, envelope and task keys) leaves the call to it. */
const inertMeta = (meta: unknown) =>
  meta === undefined ||
  (isRecord(meta) &&
    Object.keys(meta).every(
      (key) => key !== 'progressToken' && !key.startsWith('io.modelcontextprotocol/'),
    ));

/**
 * The call when `body` is a single, well-formed tools/call of a known tool whose `_meta` passes
 * `metaOk` (by default: nothing the protocol layer acts on); else undefined.
 */
export function plainToolCall(
  body: unknown,
  known: (name: string) => boolean,
  metaOk: (meta: unknown) => boolean = inertMeta,
): PlainToolCall | undefined {
  if (!isRecord(body) || !onlyKeys(body, REQUEST_KEYS)) return undefined;
  const { jsonrpc, id, method, params } = body;
  if (jsonrpc !== '2.0' || method !== 'tools/call' || !isRequestId(id)) return undefined;
  if (!isRecord(params) || !onlyKeys(params, PARAMS_KEYS) || !metaOk(params._meta)) {
    return undefined;
  }
  const { name, arguments: args } = params;
  if (typeof name !== 'string' || !known(name)) return undefined;
  if (args !== undefined && !isRecord(args)) return undefined;
  // An own `__proto__` key (JSON.parse makes one) becomes a prototype in the SDK's zod copy.
  if (args !== undefined && Object.hasOwn(args, '__proto__')) return undefined;
  return { id, name, args, meta: params._meta };
}

/**
 * A tool result with its keys in the order the SDK's result schema writes them (content,
 * structuredContent, isError), whatever order the tool built it in: same bytes as the SDK path.
 */
export function wireResult(result: ToolResult): ToolResult {
  const wire: ToolResult = { content: result.content };
  if (result.structuredContent !== undefined) wire.structuredContent = result.structuredContent;
  if (result.isError !== undefined) wire.isError = result.isError;
  return wire;
}

/**
 * A header as the web Headers object reads it: every value, joined with ", ". Node's
 * `req.headers` already joins Accept and unknown (`Mcp-*`) headers that way; only for
 * Content-Type does it keep the first value, so that one is read from the raw list.
 */
export function joinedHeader(req: IncomingMessage, lowerName: string): string | null {
  if (lowerName !== 'content-type') {
    const value = req.headers[lowerName];
    return typeof value === 'string' ? value : null;
  }
  let joined: string | null = null;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== lowerName) continue;
    const value = raw[i + 1] ?? '';
    joined = joined === null ? value : `${joined}, ${value}`;
  }
  return joined;
}

/** Accepts both JSON and event streams, and sends a JSON body: what both SDK entries require. */
export function acceptsAndSendsJson(req: IncomingMessage): boolean {
  const accept = joinedHeader(req, 'accept');
  if (accept === null || !accept.includes('application/json')) return false;
  if (!accept.includes('text/event-stream')) return false;
  return isJsonContentType(joinedHeader(req, 'content-type'));
}

/** A JSON answer in one write with its length, as web-bridge.ts writes the SDK's. */
export function writeJson(
  res: ServerResponse,
  status: number,
  payload: string,
  sessionId?: string,
): void {
  const body = Buffer.from(payload);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  if (sessionId !== undefined) res.setHeader('mcp-session-id', sessionId);
  res.setHeader('content-length', body.byteLength);
  res.end(body);
}

/** The session transport's own header checks (406, 415, 400 on the version), all passed. */
function transportWouldAccept(req: IncomingMessage): boolean {
  if (!acceptsAndSendsJson(req)) return false;
  const version = joinedHeader(req, 'mcp-protocol-version');
  return version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}

/** The ids a cancellation message (single or batch) names. */
function cancelledIds(body: unknown): RequestId[] {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const ids: RequestId[] = [];
  for (const message of messages) {
    if (!isRecord(message) || message.method !== 'notifications/cancelled') continue;
    const params = message.params;
    if (isRecord(params) && isRequestId(params.requestId)) ids.push(params.requestId);
  }
  return ids;
}

export interface DirectRequest extends IncomingMessage {
  body?: unknown;
  auth?: AuthInfo;
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
  cancel(session: DirectSession, body: unknown): void;
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

    cancel(session, body) {
      const list = running.get(session.transport);
      if (list === undefined) return;
      for (const id of cancelledIds(body)) find(list, id)?.controller.abort();
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
