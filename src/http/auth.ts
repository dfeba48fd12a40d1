import type { NextFunction, Request, Response } from 'express';
import { bearerChallenge, metadataUrl } from '../auth/metadata.ts';
import { isServiceKeyBearer, type OnBehalfVerifier } from '../auth/on-behalf.ts';
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
  /**
   * Agent runtimes (docs/agent-runtimes.md): a `Bearer tbk_…` is a service key, and the call acts
   * for the user whose identity token arrives in `header`. Unset: service keys are refused.
   */
  onBehalf?: { verify: OnBehalfVerifier; header: string } | undefined;
}

/**
 * The principal of a service-key call. The key's scopes stand for the token's, so the per-tool
 * read and write scopes apply to keys too; there is no user token to forward, so `authorization`
 * is empty: only TOOLBRIDGE_BACKEND_AUTH=mint or shared can act for the user (config-rules.ts).
 */
async function onBehalfPrincipal(
  onBehalf: NonNullable<AuthenticateOptions['onBehalf']>,
  req: Request,
  authorization: string,
): Promise<Principal> {
  const call = await onBehalf.verify({ authorization, identity: req.get(onBehalf.header) });
  if (call === undefined) throw new AppError('SERVICE_KEY_INVALID', 'the service key is not valid');
  return {
    subject: call.principal.subject,
    tenantId: call.principal.tenantId,
    expiresAt: call.principal.expiresAt,
    serviceKeyId: call.serviceKeyId,
    scopes: call.scopes,
    authorization: '',
  };
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
  const { onBehalf } = options;
  const refuseKeys = {
    header: '',
    verify: () =>
      Promise.reject(new AppError('SERVICE_KEY_INVALID', 'this gateway accepts no service keys')),
  } satisfies NonNullable<AuthenticateOptions['onBehalf']>;

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
    const serviceKey = isServiceKeyBearer(authorization);
    try {
      const principal =
        serviceKey && authorization !== undefined
          ? await onBehalfPrincipal(onBehalf ?? refuseKeys, req, authorization)
          : await verify(authorization);
      if (!scopes.hasRequired(principal)) {
        refuseScopes(req, res, principal);
        return;
      }
      req.principal = principal;
      // The SDK's AuthInfo.token: never a service key, which is the runtime's, not the user's.
      const token = serviceKey ? '' : (authorization?.replace(/^Bearer +/i, '') ?? '');
      req.auth = principals.attach(principal, token);
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
      if (error.code.startsWith('IDENTITY_')) {
        // The key is fine: no invalid_token, or a client would throw away a good credential.
        // The identity verifier's messages name the header (identity-token.ts).
        res.status(401).json({ error: 'invalid_identity', error_description: error.message });
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
