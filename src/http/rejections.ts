import type { Response } from 'express';
import type { Logger } from '../log.ts';
import { requestLogger } from './context.ts';

/**
 * A request refused because of what the client sent (malformed body, wrong content type, bad
 * JSON-RPC, foreign Origin) is the client's mistake, not the gateway's: one `warn` line with the
 * request id, the status, a stable code and a short reason, and never an error object, whose
 * stack says nothing about the client and whose properties can carry the body (body-parser puts
 * it on its parse errors). Authentication failures and unknown sessions are not logged: they are
 * counted (metrics) or routine (a restarted gateway).
 */
export type RejectionLog = (res: Response, status: number, code: string, reason: string) => void;

/** Reasons come from our code or the SDK's fixed texts; this only bounds what a header can add. */
const MAX_REASON = 200;

export function rejectionLog(logger: Logger): RejectionLog {
  return (res, status, code, reason) => {
    const short = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason;
    requestLogger(res, logger).warn({ status, code, reason: short }, 'request rejected');
  };
}
