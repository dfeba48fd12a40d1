import { decodeJwt } from 'jose';
import type { BackendIdentity } from '../proxy/types.ts';
import type { Principal } from './verifier.ts';

/**
 * Who the Go API sees (CONTRACT.md A.2): with TOOLBRIDGE_JWT_TOKEN set, every caller acts as that
 * shared token's user; otherwise the caller's own Authorization header is forwarded as sent.
 */
export function createIdentityResolver(sharedToken: string | undefined) {
  const shared =
    sharedToken === undefined
      ? undefined
      : { authorization: `Bearer ${sharedToken}`, subject: subjectOf(sharedToken) };
  /** Undefined when there is nobody to act as: no caller token and no shared token. */
  return (principal: Principal): BackendIdentity | undefined => {
    if (shared !== undefined) return { ...shared, tenantId: principal.tenantId };
    if (principal.authorization === '') return undefined;
    return {
      authorization: principal.authorization,
      subject: principal.subject,
      tenantId: principal.tenantId,
    };
  };
}

/** A string claim of a token, read without verification (the Go API verifies the token). */
export function claimOf(token: string, claim: string): string | undefined {
  try {
    const value = decodeJwt(token)[claim];
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The shared token's `sub`, for X-Debug-Sub and logs. */
export const subjectOf = (token: string): string => claimOf(token, 'sub') ?? 'unknown';
