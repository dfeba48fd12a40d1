import type { Principal } from '../auth/verifier.ts';
import type { Bucket, TokenBuckets } from './buckets.ts';
import type { RateRule } from './rules.ts';

/**
 * TOOLBRIDGE_RATE_LIMITS applied to callers: which buckets a call takes from, and what a refusal
 * says. Buckets are keyed by the verified principal only (subject and key within their tenant),
 * and a call reaches here only once the HTTP edge has verified it, so requests refused for bad
 * auth never count against anyone, whichever subject they claim.
 */

export interface RateRefusal {
  /** The rule whose bucket keeps the caller waiting longest. */
  readonly rule: RateRule;
  readonly retryAfterMs: number;
}

export type Turn = (principal: Principal) => Promise<RateRefusal | undefined>;

export interface RateLimiter {
  /** A tool call's turn: undefined when allowed (one token taken from each of its buckets). */
  call(principal: Principal, write: boolean): Promise<RateRefusal | undefined>;
  /** An HTTP request's turn at the edge; undefined when no rule counts requests. */
  readonly request: Turn | undefined;
}

/** Who a rule's bucket belongs to, or undefined when the rule does not apply to this caller. */
function ownerOf(rule: RateRule, principal: Principal): string | undefined {
  if (rule.dimension === 'tenant') return principal.tenantId;
  if (rule.dimension === 'subject') return `${principal.tenantId}\u0000${principal.subject}`;
  return principal.serviceKeyId === undefined
    ? undefined
    : `${principal.tenantId}\u0000${principal.serviceKeyId}`;
}

/** Undefined without rules: the callers then skip limiting altogether. */
export function createRateLimiter(
  rules: readonly RateRule[],
  buckets: TokenBuckets,
  onLimited: (rule: RateRule) => void = () => undefined,
): RateLimiter | undefined {
  if (rules.length === 0) return undefined;
  const ofClass = (counts: (rule: RateRule) => boolean) => rules.filter(counts);
  const reads = ofClass((rule) => rule.counts === 'call' || rule.counts === 'read');
  const writes = ofClass((rule) => rule.counts === 'call' || rule.counts === 'write');
  const requests = ofClass((rule) => rule.counts === 'request');

  async function turn(applying: readonly RateRule[], principal: Principal) {
    const chosen: RateRule[] = [];
    const wanted: Bucket[] = [];
    for (const rule of applying) {
      const owner = ownerOf(rule, principal);
      if (owner === undefined) continue;
      chosen.push(rule);
      wanted.push({
        id: `${rule.name}\u0000${owner}`,
        perSecond: rule.perSecond,
        burst: rule.burst,
      });
    }
    if (wanted.length === 0) return undefined;
    const taken = await buckets.take(wanted);
    const rule = taken.ok ? undefined : chosen[taken.index];
    if (taken.ok || rule === undefined) return undefined;
    onLimited(rule);
    return { rule, retryAfterMs: taken.retryAfterMs };
  }

  return {
    call: (principal, write) => turn(write ? writes : reads, principal),
    request: requests.length === 0 ? undefined : (principal) => turn(requests, principal),
  };
}

/** Whole seconds for a Retry-After header: at least 1, never early. */
export const retryAfterSeconds = (refusal: RateRefusal): number =>
  Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));

/** What the caller is told: the rule, by its name and rate, and when to try again. */
export function refusalMessage({ rule, retryAfterMs }: RateRefusal): string {
  const seconds = Math.max(0.1, Math.ceil(retryAfterMs / 100) / 10);
  return `rate limit ${rule.name} (${rule.text}, TOOLBRIDGE_RATE_LIMITS) reached; retry in ${seconds} s`;
}
