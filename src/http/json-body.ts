import type { IncomingHttpHeaders } from 'node:http';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';

/**
 * JSON request bodies. Nearly every MCP POST is plain: `Content-Type: application/json` (at most
 * with `charset=utf-8`), a Content-Length within the limit and no Content-Encoding. Those are
 * read here in one pass; every other request (another JSON type or charset, a compressed or
 * chunked body, a body over the limit) goes to express.json(), so its answers (413, 415, 400)
 * stay exactly body-parser's. The plain path keeps body-parser's JSON rules: an empty body is
 * `{}`, a leading UTF-8 byte-order mark is skipped, and the body must be an object or an array.
 */
const PLAIN_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);
/** What JSON allows before the first value (RFC 8259), which body-parser's strict mode checks. */
const LEADING_WHITESPACE = /^[ \t\n\r]*/;
const DIGITS = /^\d+$/;

/** The types express.json() parses below; other bodies are left alone, as it leaves them. */
const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * An error the error funnel (errors.ts) answers with its `status`, marked with a `type` as
 * body-parser marks its own.
 */
function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, type });
}

/** Parses `text` as body-parser's strict JSON parser does. */
export function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {};
  const first = text[LEADING_WHITESPACE.exec(text)?.[0].length ?? 0];
  if (first !== '{' && first !== '[') {
    throw bodyError(400, 'entity.parse.failed', 'the body is not a JSON object or array');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw bodyError(400, 'entity.parse.failed', 'the body is not valid JSON');
  }
}

function decodeUtf8(chunks: readonly Buffer[], length: number): string {
  const body =
    chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, length);
  const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  return body.toString('utf8', bom ? 3 : 0);
}

/** The declared length when a request with these headers is plain (file comment), else undefined. */
export function plainLength(headers: IncomingHttpHeaders, limit: number): number | undefined {
  const type = headers['content-type']?.toLowerCase();
  if (type === undefined || !PLAIN_TYPES.has(type)) return undefined;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return undefined;
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const declared = headers['content-length'];
  if (declared === undefined || !DIGITS.test(declared)) return undefined;
  const length = Number(declared);
  return length <= limit ? length : undefined;
}

/** A JSON body sent as is with a Content-Length over the limit: refused before it is read. */
function declaredOverLimit(req: Request, limit: number): boolean {
  const encoding = req.headers['content-encoding']?.toLowerCase() ?? 'identity';
  const declared = req.headers['content-length'];
  return (
    encoding === 'identity' &&
    declared !== undefined &&
    DIGITS.test(declared) &&
    Number(declared) > limit &&
    typeof req.is(JSON_TYPES) === 'string'
  );
}

export function jsonBody(limit: number): RequestHandler {
  const fallback: RequestHandler = express.json({ limit, type: JSON_TYPES });

  return (req: Request, res: Response, next: NextFunction): void => {
    const length = plainLength(req.headers, limit);
    if (length === undefined || req.readableEnded) {
      // body-parser answers 413 only after reading the whole body, however slowly it arrives.
      if (declaredOverLimit(req, limit)) {
        next(bodyError(413, 'entity.too.large', 'request entity too large'));
        return;
      }
      fallback(req, res, next);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (error?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      next(error);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    };
    const onEnd = () => {
      // Node's parser ends a body at its Content-Length; a mismatch would be a parser bug.
      if (received !== length) {
        done(bodyError(400, 'request.size.invalid', 'request size did not match content length'));
        return;
      }
      try {
        req.body = parseStrictJson(decodeUtf8(chunks, received));
      } catch (error) {
        done(
          error instanceof Error
            ? error
            : bodyError(400, 'entity.parse.failed', 'the body is not valid JSON'),
        );
        return;
      }
      done();
    };
    const onError = (error: Error) => {
      done(Object.assign(error, { status: 400, type: 'request.aborted' }));
    };
    // Closed before its end: the client went away mid-body.
    const onClose = () => {
      done(bodyError(400, 'request.aborted', 'request aborted'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  };
}
