/**
 * What the 2026-07-28 direct path (direct-stateless.ts) copies of the SDK: recognising a plain
 * `tools/call`, reading headers as the SDK's web entry reads them, and writing a JSON answer with
 * the SDK's key order and framing. It copies SDK behaviour, so the SDK packages are pinned to
 * exact versions and `.ci/sdk-latest` runs the tests that compare both against the newest SDK.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonContentType, type AuthInfo } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/verifier.ts';
import type { ToolResult } from '../tools/index.ts';

/** A POST as the direct paths receive it: parsed body and verified caller attached. */
export interface DirectRequest extends IncomingMessage {
  body?: unknown;
  principal?: Principal;
  /** What the SDK's handlers would get; it carries the request's id (principal.ts). */
  auth?: AuthInfo;
}

export type RequestId = string | number;

export interface PlainToolCall {
  readonly id: RequestId;
  readonly name: string;
  readonly args: Record<string, unknown> | undefined;
  /** `params._meta` as sent (it passed `metaOk`). */
  readonly meta: unknown;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isRequestId = (value: unknown): value is RequestId =>
  typeof value === 'string' || Number.isSafeInteger(value);

const onlyKeys = (value: Record<string, unknown>, allowed: ReadonlySet<string>) =>
  Object.keys(value).every((key) => allowed.has(key));

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const PARAMS_KEYS = new Set(['name', 'arguments', '_meta']);

/**
 * The call when `body` is a single, well-formed tools/call of a known tool whose `_meta` passes
 * `metaOk` (an allow-list: keys the SDK might act on must leave the call to it); else undefined.
 */
export function plainToolCall(
  body: unknown,
  known: (name: string) => boolean,
  metaOk: (meta: unknown) => boolean,
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
export function writeJson(res: ServerResponse, status: number, payload: string): void {
  const body = Buffer.from(payload);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', body.byteLength);
  res.end(body);
}
