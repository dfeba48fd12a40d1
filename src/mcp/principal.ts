import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/verifier.ts';

/**
 * The verified principal rides to tool handlers inside the SDK's pass-through AuthInfo: the HTTP
 * edge sets `req.auth`, both Streamable HTTP legs hand it to handlers as `ctx.http.authInfo`.
 */
export function toAuthInfo(principal: Principal, token: string): AuthInfo {
  return {
    token,
    clientId: principal.subject,
    scopes: [],
    ...(principal.expiresAt === undefined ? {} : { expiresAt: principal.expiresAt }),
    extra: {
      subject: principal.subject,
      tenantId: principal.tenantId,
      authorization: principal.authorization,
    },
  };
}

export function principalOf(authInfo: AuthInfo | undefined): Principal | undefined {
  const extra = authInfo?.extra;
  if (extra === undefined) return undefined;
  const { subject, tenantId, authorization } = extra;
  if (
    typeof subject !== 'string' ||
    typeof tenantId !== 'string' ||
    typeof authorization !== 'string'
  ) {
    return undefined;
  }
  return { subject, tenantId, authorization, expiresAt: authInfo?.expiresAt };
}

/** Sessions belong to the principal that opened them: same subject and tenant. */
export const principalKey = (principal: Principal) =>
  `${principal.tenantId}\u0000${principal.subject}`;
