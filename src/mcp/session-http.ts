/**
 * The HTTP side of 2025-era Streamable HTTP sessions: the checks the SDK's session transport
 * (WebStandardStreamableHTTPServerTransport, JSON-response mode) applies, in its order and with
 * its status codes and error bodies, then the messages go to the session's SessionTransport.
 * The JSON-RPC validation, the media-type test and the version list are the SDK's own exports;
 * the texts of its refusals are not exported, so they are written here, and
 * test/mcp/session-http.test.ts compares every refusal with the SDK transport's answer, so a new
 * SDK release that changes one fails that test (the SDK packages are pinned to exact versions).
 */
import type { ServerResponse } from 'node:http';
import {
  isInitializeRequest,
  isJsonContentType,
  parseJSONRPCMessage,
  type InitializeRequest,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/server';
import type { Request } from 'express';
import { joinedHeader } from './plain-call.ts';
import type { Answer, SessionTransport } from './session-transport.ts';

/** The SDK transport's bound on one batch (not exported by the SDK). */
const MAX_BATCH = 100;

export interface Refusal {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

const refusal = (status: number, code: number, message: string): Refusal => ({
  status,
  code,
  message,
});

export const SESSION_NOT_FOUND = refusal(404, -32001, 'Session not found');

/** Accept and Content-Type of a POST (406, 415). */
export function postHeaders(req: Request): Refusal | undefined {
  const accept = req.get('accept');
  if (accept?.includes('application/json') !== true || !accept.includes('text/event-stream')) {
    return refusal(
      406,
      -32000,
      'Not Acceptable: Client must accept both application/json and text/event-stream',
    );
  }
  // As the SDK reads it, through web Headers, which join repeated values (Node keeps the first).
  if (!isJsonContentType(joinedHeader(req, 'content-type'))) {
    return refusal(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
  }
  return undefined;
}

/** The body as JSON-RPC messages, by the SDK's own schema, or the SDK transport's refusal. */
export function messagesOf(body: unknown): JSONRPCMessage[] | Refusal {
  if (Array.isArray(body) && body.length > MAX_BATCH) {
    return refusal(400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`);
  }
  try {
    return Array.isArray(body) ? body.map(parseJSONRPCMessage) : [parseJSONRPCMessage(body)];
  } catch {
    return refusal(400, -32700, 'Parse error: Invalid JSON-RPC message');
  }
}

/** The parameters of the `initialize` a POST that opens a session carries, or the refusal. */
export function initializeOf(
  messages: readonly JSONRPCMessage[],
): InitializeRequest['params'] | Refusal {
  if (messages.length > 1) {
    return refusal(400, -32600, 'Invalid Request: Only one initialization request is allowed');
  }
  const [first] = messages;
  return isInitializeRequest(first)
    ? first.params
    : refusal(400, -32000, 'Bad Request: Server not initialized');
}

export const isRefusal = (value: object): value is Refusal => 'status' in value && 'code' in value;

export const hasInitialize = (messages: readonly JSONRPCMessage[]): boolean =>
  messages.some((m) => 'method' in m && m.method === 'initialize' && isInitializeRequest(m));

export const ALREADY_INITIALIZED = refusal(
  400,
  -32600,
  'Invalid Request: Server already initialized',
);

/** MCP-Protocol-Version, when sent, must be one the protocol instance speaks (400). */
export function versionHeader(req: Request, supported: readonly string[]): Refusal | undefined {
  const version = req.headers['mcp-protocol-version'];
  if (version === undefined || (typeof version === 'string' && supported.includes(version))) {
    return undefined;
  }
  const sent = Array.isArray(version) ? version.join(', ') : version;
  return refusal(
    400,
    -32000,
    `Bad Request: Unsupported protocol version: ${sent} (supported versions: ${supported.join(', ')})`,
  );
}

/** GET needs to accept an event stream (406). */
export function streamHeaders(req: Request): Refusal | undefined {
  return req.get('accept')?.includes('text/event-stream') === true
    ? undefined
    : refusal(406, -32000, 'Not Acceptable: Client must accept text/event-stream');
}

export const STREAM_CONFLICT = refusal(
  409,
  -32000,
  'Conflict: Only one SSE stream is allowed per session',
);

/** A request id of this POST already running in the session: it could not get its own answer. */
export function idInUse(
  messages: readonly JSONRPCMessage[],
  transport: SessionTransport,
): RequestId | undefined {
  const seen = new Set<RequestId>();
  for (const m of messages) {
    if (!('method' in m) || !('id' in m)) continue;
    if (seen.has(m.id) || transport.isRunning(m.id)) return m.id;
    seen.add(m.id);
  }
  return undefined;
}

/** A JSON body in one write with its length, as the SDK's transport answers (no charset). */
export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  sessionId?: string,
): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(JSON.stringify(body));
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  if (sessionId !== undefined) res.setHeader('mcp-session-id', sessionId);
  res.setHeader('content-length', bytes.byteLength);
  res.end(bytes);
}

export function writeRefusal(
  res: ServerResponse,
  { status, code, message }: Refusal,
  id: RequestId | null = null,
): void {
  writeJson(res, status, { jsonrpc: '2.0', error: { code, message }, id });
}

/** Writes how a POST's exchange ended. */
export function writeAnswer(res: ServerResponse, answer: Answer, sessionId: string): void {
  switch (answer.kind) {
    case 'json':
      writeJson(res, 200, answer.body, sessionId);
      return;
    case 'accepted':
      if (res.headersSent || res.destroyed) return;
      res.statusCode = 202;
      res.end();
      return;
    case 'ended':
      writeRefusal(res, SESSION_NOT_FOUND, answer.id);
      return;
    case 'gone':
      return;
  }
}
