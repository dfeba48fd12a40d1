import type { NextFunction, Response } from 'express';
import { refusalMessage, retryAfterSeconds, type Turn } from '../limits/limiter.ts';
import type { AuthedRequest } from '../mcp/principal.ts';

/**
 * The `request` rules of TOOLBRIDGE_RATE_LIMITS, at the HTTP edge: after authentication (so
 * only verified callers are counted, and only against themselves) and before the body is read,
 * so a caller over its request rate costs no parsing and no MCP work. There is no MCP message to
 * answer yet, so the answer is HTTP's: 429 with Retry-After, and a JSON-RPC error body as the
 * SDK's transport rejections have. Tool-call limits answer in MCP instead (mcp/tool-call.ts).
 */
export function edgeRateLimit(turn: Turn) {
  return async function rateLimited(req: AuthedRequest, res: Response, next: NextFunction) {
    const refusal = req.principal === undefined ? undefined : await turn(req.principal);
    if (refusal === undefined) {
      next();
      return;
    }
    res
      .status(429)
      .setHeader('Retry-After', String(retryAfterSeconds(refusal)))
      .json({
        jsonrpc: '2.0',
        error: { code: -32000, message: refusalMessage(refusal) },
        id: null,
      });
  };
}
