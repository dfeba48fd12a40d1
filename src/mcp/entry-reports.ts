import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../log.ts';

/**
 * What the MCP handlers log through, `Res` standing for a request (its Express response);
 * app.ts fills it from http/ (rejections.ts, context.ts).
 */
export interface RequestLogging<Res> {
  /** The base logger, for what belongs to no request. */
  logger: Logger;
  /** One warning line for a request refused as the client's mistake. */
  rejected(res: Res, status: number, code: string, reason: string): void;
  /** The logger for lines about one request (its id stamped on them). */
  loggerFor(res: Res): Logger;
}

/** 4xx answers that are no mistake worth a line: auth (counted), unknown session, client gone. */
const ROUTINE = new Set([401, 403, 404, 499]);

const hasField = <K extends string>(value: unknown, key: K): value is Record<K, unknown> =>
  typeof value === 'object' && value !== null && key in value;

/** The `error.message` of a JSON-RPC error body, if that is what `text` is. */
function rpcMessage(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = hasField(body, 'error') ? body.error : undefined;
  return hasField(error, 'message') && typeof error.message === 'string'
    ? error.message
    : undefined;
}

export interface Exchange {
  /** Runs the entry; what it reports through `onerror` meanwhile is kept for `settle`. */
  run<T>(entry: () => Promise<T>): Promise<T>;
  /** Logs this request's outcome once, judged by the answer; returns the answer to send. */
  settle(response: Response): Promise<Response>;
}

/**
 * One log line per request answered by the SDK's web-standard entries. Their `onerror` reports
 * the client's mistakes (a missing header, a body that is not JSON-RPC), each answered 4xx, as
 * well as our bugs, answered 500; the error alone says neither which nor for which request, the
 * answer does. So reports made while an entry handles a request are kept with it
 * (AsyncLocalStorage) until its answer is known: a 4xx is one warning with the answer's reason
 * and no stack; a 5xx, or a report beside a success, is an error with the stack. Reports after
 * that, or from no request at all, are errors too: nothing says they are the client's.
 */
export function createEntryReports<Res>(logging: RequestLogging<Res>) {
  const current = new AsyncLocalStorage<(error: Error) => void>();

  async function outcome(
    res: Res,
    response: Response,
    reported: readonly Error[],
  ): Promise<Response> {
    const { status } = response;
    if (status >= 400 && status < 500) {
      if (ROUTINE.has(status)) return response;
      const text = await response.text();
      const reason = rpcMessage(text) ?? reported[0]?.message ?? `refused with ${status}`;
      logging.rejected(res, status, 'mcp.rejected', reason);
      return new Response(text, { status, headers: response.headers });
    }
    const [first] = reported;
    if (status >= 500) {
      const fields = first === undefined ? { status } : { status, err: first };
      logging.loggerFor(res).error(fields, 'MCP request failed');
    } else if (first !== undefined) {
      logging.loggerFor(res).error({ status, err: first }, 'MCP request failed');
    }
    return response;
  }

  return {
    /** The entries' `onerror`. */
    onerror: (error: Error): void => {
      const report = current.getStore();
      if (report === undefined) logging.logger.error({ err: error }, 'MCP request failed');
      else report(error);
    },

    begin(res: Res): Exchange {
      const reported: Error[] = [];
      let report = (error: Error) => {
        reported.push(error);
      };
      return {
        run: (entry) =>
          current.run((error) => {
            report(error);
          }, entry),
        settle(response) {
          report = (error) => {
            logging.loggerFor(res).error({ err: error }, 'MCP request failed');
          };
          return outcome(res, response, reported);
        },
      };
    },
  };
}
