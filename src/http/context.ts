import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.ts';

/** Request id (echoed from X-Request-ID when sane, else generated) and a per-request logger. */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.get('x-request-id');
    const id = given !== undefined && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    res.setHeader('X-Request-ID', id);
    res.locals['log'] = logger.child({ requestId: id });
    next();
  };
}

export function requestLogger(res: Response, fallback: Logger): Logger {
  const log: unknown = res.locals['log'];
  return isLogger(log) ? log : fallback;
}

function isLogger(value: unknown): value is Logger {
  return typeof value === 'object' && value !== null && 'child' in value && 'warn' in value;
}
