import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeJson } from './go-wire.ts';

/** The largest request body the embedded API reads; larger ones get 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** X-Correlation-ID as echoed (or generated) by the Go CorrelationMiddleware. */
  readonly correlationId: string;
  readonly query: URLSearchParams;
}

/** writeJSON: application/json, json.Encoder output. */
export function sendJson(
  { res }: Exchange,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = encodeJson(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** writeError: `{error, correlation_id}` (a struct on the Go side, so in that order). */
export function sendError(exchange: Exchange, status: number, message: string): void {
  sendJson(exchange, status, { error: message, correlation_id: exchange.correlationId });
}

/** http.Error: plain text with a newline, nosniff. */
export function sendText({ res }: Exchange, status: number, message: string): void {
  const text = `${message}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export class BodyTooLarge extends Error {
  constructor() {
    super('request body too large');
    this.name = 'BodyTooLarge';
  }
}

/** Reads the whole body as UTF-8, refusing more than MAX_BODY_BYTES. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    if (!Buffer.isBuffer(chunk)) continue;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
