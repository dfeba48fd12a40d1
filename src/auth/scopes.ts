import type { Principal } from './verifier.ts';

/**
 * OAuth scopes: what a verified token grants, and what the gateway asks of it. Scopes are
 * checked only on principals that carry them, i.e. OAuth access tokens verified with the JWKS;
 * the Go API's own HS256 tokens carry none and keep the access they have always had.
 */

/**
 * The scopes a token grants: `scope`, a space-separated string (RFC 8693 §4.2, RFC 9068 §2.2.3),
 * or else `scp`, which some identity providers send as an array and others as such a string.
 * Anything else grants nothing.
 */
export function scopesOf(claims: Readonly<Record<string, unknown>>): readonly string[] {
  const { scope, scp } = claims;
  if (typeof scope === 'string') return split(scope);
  if (typeof scp === 'string') return split(scp);
  if (!Array.isArray(scp)) return [];
  const items: readonly unknown[] = scp;
  return items.filter((item): item is string => typeof item === 'string' && item !== '');
}

const split = (text: string) => text.split(/\s+/).filter((item) => item !== '');

export interface ScopeSettings {
  /** TOOLBRIDGE_REQUIRED_SCOPES: every request to the MCP endpoints needs all of them. */
  readonly required?: readonly string[] | undefined;
  /** TOOLBRIDGE_READ_SCOPE: tools whose readOnlyHint is true need it (or the write scope). */
  readonly read?: string | undefined;
  /** TOOLBRIDGE_WRITE_SCOPE: every other tool needs it. */
  readonly write?: string | undefined;
}

export interface ScopePolicy {
  /** For the metadata's `scopes_supported` and the 401 challenge; empty when none is configured. */
  readonly supported: readonly string[];
  /** The required scopes, for an insufficient_scope challenge (all of them, not only the missing). */
  readonly required: readonly string[];
  /** Whether the principal holds every required scope (true when it carries no scopes at all). */
  hasRequired(principal: Principal): boolean;
  /** The scope a call of a read-only or a writing tool needs and the principal lacks, if any. */
  missingForTool(principal: Principal, readOnly: boolean): string | undefined;
}

export function createScopePolicy(settings: ScopeSettings = {}): ScopePolicy {
  const required = settings.required ?? [];
  const { read, write } = settings;
  const supported = [...new Set([...required, read, write])].filter((scope) => scope !== undefined);
  return {
    supported,
    required,
    hasRequired({ scopes }) {
      return scopes === undefined || required.every((scope) => scopes.includes(scope));
    },
    missingForTool({ scopes }, readOnly) {
      if (scopes === undefined) return undefined;
      // MCP authorization (2025-11-25 and later): "a broader scope implies narrower ones". The
      // write scope is the broader one here, so a token that may write may also read.
      if (readOnly) {
        if (read === undefined || scopes.includes(read)) return undefined;
        return write !== undefined && scopes.includes(write) ? undefined : read;
      }
      return write === undefined || scopes.includes(write) ? undefined : write;
    },
  };
}
