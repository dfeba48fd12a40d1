import type { NextFunction, Request, Response } from 'express';
import { bearerChallenge, metadataUrl } from '../auth/metadata.ts';
import { createScopePolicy, type ScopePolicy } from '../auth/scopes.ts';
import type { ClientVerifier, Principal } from '../auth/verifier.ts';
import { AppError } from '../errors.ts';
import type { AuthedRequest, PrincipalCarrier } from '../mcp/principal.ts';

/** What a 503 for an unreachable key set asks the client to wait before trying again. */
const UNAVAILABLE_RETRY_SECONDS = 5;

export interface AuthenticateOptions {
  verify: ClientVerifier;
  principals: PrincipalCarrier;
  baseUrlOf: (req: Request) => string;
  /** TOOLBRIDGE_REQUIRED_SCOPES and the scopes the challenges name (default: none). */
  scopes?: ScopePolicy | undefined;
  onFailure?: ((code: string) => void) | undefined;
  onUnavailable?: ((error: AppError) => void) | undefined;
}

/**
 * Verifies the caller before any MCP work and attaches the principal: typed as `req.principal`,
 * and as `req.auth`, the AuthInfo the SDK passes to handlers (see mcp/principal.ts). Failures are
 * 401 with a Bearer challenge pointing at the protected-resource metadata, 403 for a tenant the
 * gateway will not serve or a token without the required scopes (RFC 6750 insufficient_scope),
 * or 503 when the token could not be checked at all (the JWKS endpoint failed).
 */
export function authenticate(options: AuthenticateOptions) {
  const { verify, principals, baseUrlOf } = options;
  const scopes = options.scopes ?? createScopePolicy();
  const onFailure = options.onFailure ?? (() => undefined);
  const onUnavailable = options.onUnavailable ?? (() => undefined);

  const refuseScopes = (req: Request, res: Response, principal: Principal) => {
    const held = new Set(principal.scopes);
    const missing = scopes.required.filter((scope) => !held.has(scope));
    const error = new AppError(
      'SCOPE_INSUFFICIENT',
      `the token lacks the scope${missing.length === 1 ? '' : 's'} this gateway requires: ${missing.join(' ')}`,
    );
    onFailure(error.code);
    res
      .status(403)
      .setHeader(
        'WWW-Authenticate',
        bearerChallenge(baseUrlOf(req), { error, scope: scopes.required }),
      )
      .json({ error: 'insufficient_scope', error_description: error.message });
  };

  return async (req: AuthedRequest, res: Response, next: NextFunction) => {
    const authorization = req.get('authorization');
    try {
      const principal = await verify(authorization);
      if (!scopes.hasRequired(principal)) {
        refuseScopes(req, res, principal);
        return;
      }
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
      if (tenantProblem) {
        res.status(403).json({ error: 'forbidden', error_description: error.message });
        return;
      }
      const base = baseUrlOf(req);
      res
        .status(401)
        .setHeader('WWW-Authenticate', bearerChallenge(base, { error, scope: scopes.supported }))
        .json({ error: 'invalid_token', error_description: describe(error, base) });
    }
  };
}

/**
 * RFC 6750 §3.1 keeps error details out of the challenge of a request without credentials; the
 * body still tells whoever forgot the header what was expected and where to read how to get it.
 */
function describe(error: AppError, baseUrl: string): string {
  if (error.code !== 'TOKEN_MISSING') return error.message;
  return `this endpoint expects a bearer token in the Authorization header ("Authorization: Bearer <token>"); where to get one is described by the protected-resource metadata at ${metadataUrl(baseUrl)}`;
}
