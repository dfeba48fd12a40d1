import type { AppError, ErrorCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { IdentityKeySource } from './identity-token.ts';

/**
 * Counting refused identities, and saying loudly but rarely when they fail on their signature:
 * call after call of that means the gateway's TOOLBRIDGE_IDENTITY_SECRET (or key set) is not what
 * the agent platform signs with, which no single caller can fix and the operator must hear about.
 */

/** Reasons of `toolbridge_identity_failures_total`: a closed set, so labels stay bounded. */
const REASONS = {
  IDENTITY_MISSING: 'missing',
  IDENTITY_INVALID: 'invalid',
  IDENTITY_EXPIRED: 'expired',
  IDENTITY_TTL_TOO_LONG: 'ttl_too_long',
  IDENTITY_SIGNATURE: 'signature',
  TENANT_FORBIDDEN: 'tenant_forbidden',
  TENANT_UNRESOLVED: 'tenant_unresolved',
  AUTH_UNAVAILABLE: 'keys_unavailable',
} as const satisfies Partial<Record<ErrorCode, string>>;
export type IdentityFailureReason = (typeof REASONS)[keyof typeof REASONS];

const hasReason = (code: ErrorCode): code is keyof typeof REASONS => Object.hasOwn(REASONS, code);

/** The metric reason of an identity refusal; undefined for a code no identity check produces. */
export const identityFailureReason = (code: ErrorCode): IdentityFailureReason | undefined =>
  hasReason(code) ? REASONS[code] : undefined;

export const DRIFT_LOG_INTERVAL_MS = 60_000;

const DRIFT_MESSAGES: Readonly<Record<IdentityKeySource, string>> = {
  secret:
    'identity tokens fail signature verification: TOOLBRIDGE_IDENTITY_SECRET does not match the secret the agent platform signs them with',
  jwks: 'identity tokens fail signature verification: the agent platform signs them with a key TOOLBRIDGE_JWT_JWKS_URL does not publish',
};

export interface IdentityFailureReporterOptions {
  log: Pick<Logger, 'warn'>;
  /** Called once per refusal; `metrics.identityFailure` in the gateway. */
  count: (reason: IdentityFailureReason) => void;
  now?: () => number;
  /** At most one drift line per key source in this time. */
  intervalMs?: number;
}

export function createIdentityFailureReporter(
  options: IdentityFailureReporterOptions,
): (error: AppError) => void {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? DRIFT_LOG_INTERVAL_MS;
  const drift = new Map<IdentityKeySource, { loggedAt: number; unreported: number }>();
  return function reportIdentityFailure(error) {
    const reason = identityFailureReason(error.code);
    if (reason === undefined) return;
    options.count(reason);
    if (reason !== 'signature') return;
    const source: IdentityKeySource = error.details['source'] === 'jwks' ? 'jwks' : 'secret';
    const state = drift.get(source) ?? { loggedAt: -Infinity, unreported: 0 };
    drift.set(source, state);
    state.unreported += 1;
    if (now() - state.loggedAt < intervalMs) return;
    // Only counts and the setting's name: never the token, never the secret.
    options.log.warn(
      {
        code: error.code,
        via: source,
        failures: state.unreported,
        intervalSeconds: Math.round(intervalMs / 1000),
      },
      DRIFT_MESSAGES[source],
    );
    state.loggedAt = now();
    state.unreported = 0;
  };
}
