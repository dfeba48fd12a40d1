import type { AuthInfo } from '@modelcontextprotocol/server';
import type { NextFunction, Request, Response } from 'express';
import { bearerChallenge } from '../auth/metadata.ts';
import type { ClientVerifier } from '../auth/verifier.ts';
import { AppError } from '../errors.ts';
import { toAuthInfo } from '../mcp/principal.ts';

/**
 * Verifies the caller before any MCP work and attaches the principal as `req.auth`, which the
 * SDK transports pass to handlers. Failures are 401 with a Bearer challenge pointing at the
 * protected-resource metadata, or 403 for a tenant the gateway will not serve.
 */
export function authenticate(
  verify: ClientVerifier,
  baseUrlOf: (req: Request) => string,
  onFailure: (code: string) => void = () => undefined,
) {
  return async (req: Request & { auth?: AuthInfo }, res: Response, next: NextFunction) => {
    const authorization = req.get('authorization');
    try {
      const principal = await verify(authorization);
      req.auth = toAuthInfo(principal, authorization?.replace(/^Bearer +/i, '') ?? '');
      next();
    } catch (error) {
      if (!(error instanceof AppError)) {
        next(error);
        return;
      }
      const tenantProblem = error.code === 'TENANT_FORBIDDEN' || error.code === 'TENANT_UNRESOLVED';
      onFailure(error.code);
      if (!tenantProblem) res.setHeader('WWW-Authenticate', bearerChallenge(baseUrlOf(req), error));
      res.status(tenantProblem ? 403 : 401).json({
        error: tenantProblem ? 'forbidden' : 'invalid_token',
        error_description: error.message,
      });
    }
  };
}
