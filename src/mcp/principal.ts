import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Request } from 'express';
import type { Principal } from '../auth/verifier.ts';

/**
 * The verified principal travels as a typed value: the HTTP edge sets `req.principal` for the
 * gateway's own code (session owners, the direct path), and hands the SDK an AuthInfo that its
 * protocol layer passes to handlers untouched (`ctx.http.authInfo`). The carrier maps that very
 * object back to the principal, so nothing is written into `AuthInfo.extra` as strings and
 * parsed back; an AuthInfo the carrier did not make carries no principal.
 */
export interface PrincipalCarrier {
  /** The AuthInfo for the SDK, carrying `principal`. */
  attach(principal: Principal, token: string): AuthInfo;
  /** The principal an AuthInfo from `attach` carries. */
  of(authInfo: AuthInfo | undefined): Principal | undefined;
  /**
   * Ties the id of the HTTP request an AuthInfo came with to it, so that a tool call the SDK
   * hands over with that AuthInfo carries the request's id as its correlation id.
   */
  stamp(authInfo: AuthInfo, requestId: string): void;
  requestIdOf(authInfo: AuthInfo | undefined): string | undefined;
}

export function createPrincipalCarrier(): PrincipalCarrier {
  // Keyed by the AuthInfo object: an entry goes when its request's AuthInfo does.
  const principals = new WeakMap<AuthInfo, Principal>();
  const requestIds = new WeakMap<AuthInfo, string>();
  return {
    attach(principal, token) {
      const authInfo: AuthInfo = {
        token,
        clientId: principal.subject,
        scopes: principal.scopes === undefined ? [] : [...principal.scopes],
        ...(principal.expiresAt === undefined ? {} : { expiresAt: principal.expiresAt }),
      };
      principals.set(authInfo, principal);
      return authInfo;
    },
    of: (authInfo) => (authInfo === undefined ? undefined : principals.get(authInfo)),
    stamp(authInfo, requestId) {
      requestIds.set(authInfo, requestId);
    },
    requestIdOf: (authInfo) => (authInfo === undefined ? undefined : requestIds.get(authInfo)),
  };
}

/** A request once the HTTP edge has verified its caller (http/auth.ts). */
export type AuthedRequest = Request & { principal?: Principal; auth?: AuthInfo };

/** Sessions belong to the principal that opened them: same subject and tenant. */
export const principalKey = (principal: Principal) =>
  `${principal.tenantId}\u0000${principal.subject}`;

/**
 * The owner key of a request's session: its principal's, or `anonymous` without one. A session
 * an agent runtime opens with its service key carries calls for many users, so the key owns it;
 * the control character keeps that owner apart from any tenant's.
 */
export const ownerKey = (principal: Principal | undefined) => {
  if (principal === undefined) return 'anonymous';
  if (principal.serviceKeyId !== undefined) return `\u0001key\u0000${principal.serviceKeyId}`;
  return principalKey(principal);
};
