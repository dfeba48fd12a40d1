import { AppError } from '../errors.ts';
import type { IdentityVerifier, OnBehalfIdentity } from './identity-token.ts';
import { SERVICE_KEY_PREFIX, type ServiceKeyLookup } from './service-keys.ts';

/**
 * The agent-runtime back-channel at the HTTP edge (issue 18 §3): a `tbk_` bearer is a service
 * key, never a JWT, and a call made with one acts for the user its identity header names. Any
 * other bearer is left to the client-token verifier.
 */

/** A verified service-key call: which runtime, what it may do, and for whom. */
export interface OnBehalfCall {
  readonly serviceKeyId: string;
  readonly scopes: readonly string[];
  readonly principal: OnBehalfIdentity;
}

export interface OnBehalfRequest {
  /** The request's Authorization header as sent. */
  readonly authorization: string | undefined;
  /** The value of TOOLBRIDGE_IDENTITY_HEADER as sent. */
  readonly identity: string | undefined;
}

export interface OnBehalfOptions {
  lookup: ServiceKeyLookup;
  verifyIdentity: IdentityVerifier;
  /** Sees every refused identity before it is thrown (identity-drift.ts's reporter). */
  onIdentityFailure?: (error: AppError) => void;
}

/**
 * Undefined when the bearer is not a service key, so the client-token path runs; otherwise the
 * call, or an AppError: SERVICE_KEY_INVALID (401) for a key that is malformed or not configured,
 * then the identity's codes (identity-token.ts). Nothing reaches the backend before this returns.
 */
export type OnBehalfVerifier = (request: OnBehalfRequest) => Promise<OnBehalfCall | undefined>;

const SERVICE_BEARER = new RegExp(`^\\s*bearer\\s+${SERVICE_KEY_PREFIX}`, 'i');

/** Whether an Authorization header carries a service key rather than a client token. */
export const isServiceKeyBearer = (authorization: string | undefined): boolean =>
  authorization !== undefined && SERVICE_BEARER.test(authorization);

export function createOnBehalfVerifier(options: OnBehalfOptions): OnBehalfVerifier {
  const { lookup, verifyIdentity, onIdentityFailure } = options;
  return async function verifyOnBehalf({ authorization, identity }) {
    if (authorization === undefined || !isServiceKeyBearer(authorization)) return undefined;
    // The same spelling the client-token path accepts: one scheme, spaces, one credential.
    const key = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
    const grant = key === undefined ? undefined : lookup(key);
    if (grant === undefined) {
      // Said the same way for a malformed and an unknown key: nothing to learn by trying.
      throw new AppError('SERVICE_KEY_INVALID', 'the service key is not valid');
    }
    try {
      const principal = await verifyIdentity(identity, grant.tenants);
      return { serviceKeyId: grant.id, scopes: grant.scopes, principal };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // Which runtime sent it is for the log line; the key itself never is.
      const refused = new AppError(error.code, error.message, {
        cause: error.cause,
        details: { ...error.details, serviceKey: grant.id },
      });
      onIdentityFailure?.(refused);
      throw refused;
    }
  };
}
