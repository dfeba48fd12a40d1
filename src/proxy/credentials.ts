import { hash } from 'node:crypto';
import { AppError } from '../errors.ts';
import { createMinter, type MintOptions } from './mint.ts';
import {
  createTokenExchanger,
  type TokenExchangeDeps,
  type TokenExchangeOptions,
} from './token-exchange.ts';
import type { BackendIdentity } from './types.ts';

/**
 * The one place a backend identity becomes the Authorization the API sees: the bearer a
 * forwarded or shared identity carries, or a token minted or exchanged for an issued one.
 */

export interface Credentials {
  /** Synchronous for presented identities and for cached or minted tokens. */
  authorization(identity: BackendIdentity, signal: AbortSignal): string | Promise<string>;
  /** The API answered 401 to an issued token: the next call gets a new one. */
  refused(identity: BackendIdentity): void;
  stop(): void;
}

export interface CredentialOptions {
  readonly mint?: MintOptions | undefined;
  readonly tokenExchange?: TokenExchangeOptions | undefined;
}

const notConfigured = (mode: string) =>
  new AppError(
    'CONFIG_INVALID',
    `This gateway is not configured to ${mode} backend tokens (TOOLBRIDGE_BACKEND_AUTH)`,
  );

export function createCredentials(
  options: CredentialOptions,
  deps: Omit<TokenExchangeDeps, 'maxEntries'>,
): Credentials {
  const minter = options.mint === undefined ? undefined : createMinter(options.mint, deps.now);
  const exchanger =
    options.tokenExchange === undefined
      ? undefined
      : createTokenExchanger(options.tokenExchange, deps);
  return {
    authorization(identity, signal) {
      switch (identity.issued) {
        case undefined:
          return identity.authorization;
        case 'mint':
          if (minter === undefined) throw notConfigured('mint');
          return minter.authorization(identity.subject, identity.tenantId);
        case 'exchange':
          if (exchanger === undefined) throw notConfigured('exchange');
          return exchanger.authorization(identity, signal);
      }
    },
    refused(identity) {
      if (identity.issued === 'mint') minter?.forget(identity.subject, identity.tenantId);
      else if (identity.issued === 'exchange') exchanger?.forget(identity);
    },
    stop() {
      exchanger?.stop();
    },
  };
}

/**
 * Sync sessions are cached per identity. A presented bearer is the identity, so the key is an
 * opaque digest of it (the cache has no need to keep tokens; one-shot `hash()`, as a Hash object
 * per call showed in profiles). An issued token changes every few minutes for the same user, so
 * those are keyed by subject and tenant: renewing a token must not open new sessions.
 */
export function sessionKey(identity: BackendIdentity): string {
  if (identity.issued !== undefined) {
    return JSON.stringify([identity.issued, identity.tenantId, identity.subject]);
  }
  return hash('sha256', JSON.stringify([identity.authorization, identity.tenantId]), 'base64url');
}

/**
 * What backend text must never show of a credential: the header, the token without its scheme,
 * and each of a JWT's three segments alone (a backend may echo just the payload or the
 * signature). Built only when a failure is reported.
 */
export function credentialShapes(authorization: string): string[] {
  if (authorization === '') return [];
  const space = authorization.indexOf(' ');
  const token = space === -1 ? authorization : authorization.slice(space + 1).trim();
  return [authorization, token, ...token.split('.')];
}
