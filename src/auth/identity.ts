import { decodeJwt } from 'jose';
import { AppError } from '../errors.ts';
import type { BackendIdentity } from '../proxy/types.ts';
import type { Principal } from './verifier.ts';

/** TOOLBRIDGE_BACKEND_AUTH: how the Go API learns who calls (docs/backend-auth.md). */
export const BACKEND_AUTH_MODES = ['forward', 'mint', 'exchange', 'shared'] as const;
export type BackendAuthMode = (typeof BACKEND_AUTH_MODES)[number];

/**
 * Who the Go API sees (CONTRACT.md A.2). `shared`: every caller acts as TOOLBRIDGE_JWT_TOKEN's
 * user. `forward`: the caller's own Authorization header, as sent. `mint` and `exchange`: the
 * verified subject, for whom the upstream client obtains a backend token (proxy/credentials.ts);
 * the caller's token then goes nowhere but, with `exchange`, to the API's token exchange.
 */
export function createIdentityResolver(
  sharedToken: string | undefined,
  mode: BackendAuthMode = sharedToken === undefined ? 'forward' : 'shared',
) {
  const shared =
    sharedToken === undefined
      ? undefined
      : { authorization: `Bearer ${sharedToken}`, subject: subjectOf(sharedToken) };
  if (mode === 'shared' && shared === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      'TOOLBRIDGE_BACKEND_AUTH=shared needs TOOLBRIDGE_JWT_TOKEN',
    );
  }
  /** Undefined when there is nobody to act as: no caller token and no shared token. */
  return (principal: Principal): BackendIdentity | undefined => {
    if (mode === 'shared' && shared !== undefined)
      return { ...shared, tenantId: principal.tenantId };
    // An anonymous caller (TOOLBRIDGE_AUTH=none, no token) has no subject anyone verified. A
    // service-key caller's subject was verified (its identity token), but it brings no token to
    // forward or exchange: only a minted one can act for it.
    const minted = mode === 'mint' && principal.serviceKeyId !== undefined;
    if (principal.authorization === '' && !minted) return undefined;
    const { subject, tenantId } = principal;
    switch (mode) {
      case 'mint':
        return { issued: 'mint', subject, tenantId };
      case 'exchange':
        return {
          issued: 'exchange',
          subject,
          tenantId,
          callerAuthorization: principal.authorization,
        };
      default:
        return { authorization: principal.authorization, subject, tenantId };
    }
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
