import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.ts';
import { requestLogger } from './context.ts';

/**
 * The one error funnel: body-parser failures become JSON-RPC-shaped 4xx answers, anything else a
 * 500 that says nothing about internals; every error is logged once, with the request id.
 */
export function errorFunnel(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const log = requestLogger(res, logger);
    const status = statusOf(error);
    if (status === 413) {
      res.status(413).json({
        jsonrpc: '2.0',
        error: { code: -32600, message: 'Request body too large' },
        id: null,
      });
    } else if (status === 415) {
      // A JSON type in a charset other than UTF-8 (RFC 8259 §8.1), or an unknown Content-Encoding.
      res.status(415).json({
        jsonrpc: '2.0',
        error: {
          code: -32600,
          message:
            'Unsupported body: JSON must be UTF-8, and compressed (if at all) with gzip, deflate, br or zstd',
        },
        id: null,
      });
    } else if (status === 400) {
      res.status(400).json({
        jsonrpc: '2.0',
        error: { code: -32700, message: 'Parse error: the body is not valid JSON' },
        id: null,
      });
    } else {
      log.error({ err: error }, 'request failed');
      res
        .status(500)
        .json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
      return;
    }
    log.warn({ status }, 'rejected request body');
  };
}

/** body-parser marks its errors with a 4xx `status`. */
function statusOf(error: unknown): number {
  if (
    typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    typeof error.status === 'number'
  ) {
    return error.status;
  }
  return 500;
}
