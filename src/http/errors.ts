import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { requestLogger } from './context.ts';
import { rejectionLog } from './rejections.ts';

/**
 * The one error funnel. An error with a 4xx `status` (body-parser's, raw-body's, json-body.ts's,
 * the router's) is the client's: a JSON-RPC-shaped answer and one warning line (rejections.ts).
 * Anything else is a bug: a 500 that says nothing about internals, logged at error with its stack.
 */
export function errorFunnel(logger: Logger) {
  const rejected = rejectionLog(logger);
  // Express knows an error handler by its four parameters, so `next` stays though unused.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (error instanceof AppError && error.code === 'STORE_UNAVAILABLE') {
      // Redis away: the client may retry (here or on another replica); the log says where.
      rejected(res, 503, 'store.unavailable', error.message);
      answer(res, 503, -32603, 'Session store unavailable; try again shortly');
      return;
    }
    const status = statusOf(error);
    if (status < 400 || status >= 500) {
      requestLogger(res, logger).error({ err: error }, 'request failed');
      answer(res, 500, -32603, 'Internal error');
      return;
    }
    const code = codeOf(error);
    rejected(res, status, code, REASONS[code] ?? `refused with ${status}`);
    if (status === 413) {
      answer(res, 413, -32600, 'Request body too large');
    } else if (status === 415) {
      // A JSON type in a charset other than UTF-8 (RFC 8259 §8.1), or an unknown Content-Encoding.
      answer(
        res,
        415,
        -32600,
        'Unsupported body: JSON must be UTF-8, and compressed (if at all) with gzip, deflate, br or zstd',
      );
    } else if (status === 400) {
      answer(res, 400, -32700, 'Parse error: the body is not valid JSON');
    } else {
      answer(res, status, -32600, 'Invalid request');
    }
  };
}

/**
 * Writes the answer, or, once one has begun, ends the connection: Express's own last handler
 * would do the same but also print the stack to stderr, outside the log.
 */
function answer(res: Response, status: number, code: number, message: string): void {
  if (res.headersSent) {
    res.req.socket.destroy();
    return;
  }
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** Short reasons by body-parser's error `type` (json-body.ts uses the same types). */
const REASONS: Readonly<Record<string, string>> = {
  'entity.parse.failed': 'the body is not valid JSON, or not an object or an array',
  'entity.too.large': 'the body is over the size limit',
  'encoding.unsupported': 'the Content-Encoding is not gzip, deflate, br or zstd',
  'encoding.invalid': 'the compressed body cannot be decompressed',
  'charset.unsupported': 'the JSON body is not in UTF-8',
  'request.aborted': 'the body stopped short: the client left or its time ran out',
  'request.size.invalid': 'the body does not match its Content-Length',
};

const hasField = <K extends string>(value: unknown, key: K): value is Record<K, unknown> =>
  typeof value === 'object' && value !== null && key in value;

/** body-parser marks its errors with a 4xx `status`. */
function statusOf(error: unknown): number {
  return hasField(error, 'status') && typeof error.status === 'number' ? error.status : 500;
}

/** body-parser's `type`; a zlib failure (a `Z_` code) for a body that does not decompress. */
function codeOf(error: unknown): string {
  if (hasField(error, 'type') && typeof error.type === 'string') return error.type;
  if (hasField(error, 'code') && typeof error.code === 'string' && error.code.startsWith('Z_')) {
    return 'encoding.invalid';
  }
  return 'request.invalid';
}
