import type { NextFunction, Request, Response } from 'express';
import { bearerChallenge } from '../auth/metadata.ts';
import type { ClientVerifier } from '../auth/verifier.ts';
import { AppError } from '../errors.ts';
import type { AuthedRequest, PrincipalCarrier } from '../mcp/principal.ts';

/** What a 503 for an unreachable key set asks the client to wait before trying again. */
const UNAVAILABLE_RETRY_SECONDS = 5;

/**
 * Verifies the caller before any MCP work and attaches the principal: typed as `req.principal`,
 * and as `req.auth`, the AuthInfo the SDK passes to handlers (see mcp/principal.ts). Failures are 401 with a Bearer challenge pointing at the
 * protected-resource metadata, 403 for a tenant the gateway will not serve, or 503 when the
 * token could not be checked at all (the JWKS endpoint failed).
 */
export function authenticate(
  verify: ClientVerifier,
  principals: PrincipalCarrier,
  baseUrlOf: (req: Request) => string,
  onFailure: (code: string) => void = () => undefined,
  onUnavailable: (error: AppError) => void = () => undefined,
) {
  return async (req: AuthedRequest, res: Response, next: NextFunction) => {
    const authorization = req.get('authorization');
    try {
      const principal = await verify(authorization);
      req.principal = principal;
      req.auth = principals.attach(principal, authorization?.replace(/^Bearer +/i, '') ?? '');
      next();
    } catch (error) {
      if (!(error instanceof AppError)) {
        next(error);
        return;
      }
      onFailure(error.code);
      if (error.code === 'AUTH_UNAVAILABLE') {
        // The token may be fine: no invalid_token, so an OAuth client keeps it and retries.
        onUnavailable(error);
        res
          .status(503)
          .setHeader('Retry-After', String(UNAVAILABLE_RETRY_SECONDS))
          .json({ error: 'temporarily_unavailable', error_description: error.message });
        return;
      }
      const tenantProblem = error.code === 'TENANT_FORBIDDEN' || error.code === 'TENANT_UNRESOLVED';
      if (!tenantProblem) res.setHeader('WWW-Authenticate', bearerChallenge(baseUrlOf(req), error));
      res.status(tenantProblem ? 403 : 401).json({
        error: tenantProblem ? 'forbidden' : 'invalid_token',
        error_description: error.message,
      });
    }
  };
}
