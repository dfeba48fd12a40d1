import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.ts';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Request id: echoed from X-Request-ID when sane, else generated, and sent back. The per-request
 * logger is made only when something is logged (requestLogger): most requests log nothing, and a
 * pino child per request was measurable on the hot path.
 */
export function requestContext() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.get('x-request-id');
    const id = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-ID', id);
    res.locals['requestId'] = id;
    next();
  };
}

/** This request's id; undefined before requestContext ran. */
export function requestIdOf(res: Response): string | undefined {
  const id: unknown = res.locals['requestId'];
  return typeof id === 'string' ? id : undefined;
}

/** A logger that stamps this request's id on every line (the base logger before requestContext). */
export function requestLogger(res: Response, logger: Logger): Logger {
  const id = requestIdOf(res);
  return id === undefined ? logger : logger.child({ requestId: id });
}
