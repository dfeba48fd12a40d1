import type { Config } from '../config.ts';
import { tenantId as textCheck } from '../config-values.ts';
import { DEV_SUBJECT, DEV_TENANT, mintToken } from '../dev-backend.ts';
import type { DevSecret } from '../dev-secrets.ts';
import type { Sink } from './report.ts';
import { EX_CONFIG, EX_USAGE } from './sign.ts';

/**
 * `toolbridge-mcp token`: an HS256 client token for this gateway, signed with
 * TOOLBRIDGE_JWT_SECRET or, in front of the embedded API, with its kept dev secret (so the token
 * outlives restarts). Only the token goes to `out`, so `$(… token)` captures it; notes go to `err`.
 */

export const DEFAULT_TTL_SECONDS = 86_400;
/** A month: long enough for a desktop client's config, short enough that a leaked one dies. */
export const MAX_TTL_SECONDS = 30 * 86_400;

const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** `3600`, `90s`, `45m`, `24h` or `30d` as seconds; undefined for anything else or out of range. */
export function parseTtl(text: string): number | undefined {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (match === null) return undefined;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? Number.NaN);
  return seconds >= 1 && seconds <= MAX_TTL_SECONDS ? seconds : undefined;
}

export interface TokenOptions {
  sub?: string;
  tenant?: string;
  ttl?: string;
  /** The embedded API's kept secret; loaded only when it is the one to sign with. */
  devSecret: () => DevSecret;
  err: Sink;
}

type Secret = { ok: true; secret: string } | { ok: false; problem: string };

function signingSecret(config: Config, options: TokenOptions): Secret {
  if (config.auth.jwtSecret !== undefined) return { ok: true, secret: config.auth.jwtSecret };
  if (config.auth.jwksUrl !== undefined) {
    return {
      ok: false,
      problem:
        'no HS256 secret to sign with: client tokens are verified with TOOLBRIDGE_JWT_JWKS_URL, so they come from the identity provider that holds its private keys',
    };
  }
  if (config.goApiBaseUrl !== undefined) {
    return {
      ok: false,
      problem:
        "no HS256 secret to sign with: set TOOLBRIDGE_JWT_SECRET (the Go API's JWT_HS256_SECRET)",
    };
  }
  const dev = options.devSecret();
  if (!dev.kept) {
    return {
      ok: false,
      problem: `the embedded API's dev secret cannot be kept (${dev.note ?? dev.path}), so a token signed now would not work after the next start; fix that, or set TOOLBRIDGE_JWT_SECRET`,
    };
  }
  if (dev.note !== undefined) options.err(`toolbridge-mcp token: note: ${dev.note}`);
  return { ok: true, secret: dev.secret };
}

/** The option's problem, if any: the same rules as a tenant id (a header value, both of them). */
function badText(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === '') return `--${name} must not be empty`;
  const checked = textCheck(value);
  return checked.ok ? undefined : `--${name} ${checked.problem}`;
}

export async function runToken(config: Config, out: Sink, options: TokenOptions): Promise<number> {
  const { err } = options;
  const ttl = options.ttl === undefined ? DEFAULT_TTL_SECONDS : parseTtl(options.ttl);
  if (ttl === undefined) {
    err(
      `toolbridge-mcp token: --ttl expects seconds or a duration like 90s, 45m, 24h or 30d, from 1 s to ${MAX_TTL_SECONDS / 86_400} days`,
    );
    return EX_USAGE;
  }
  const problem = badText('sub', options.sub) ?? badText('tenant', options.tenant);
  if (problem !== undefined) {
    err(`toolbridge-mcp token: ${problem}`);
    return EX_USAGE;
  }
  const secret = signingSecret(config, options);
  if (!secret.ok) {
    err(`toolbridge-mcp token: ${secret.problem}`);
    return EX_CONFIG;
  }
  // In front of the embedded API the gateway pins the dev tenant (src/serve.ts).
  const pinned = config.tenantId ?? (config.goApiBaseUrl === undefined ? DEV_TENANT : undefined);
  const tenant = options.tenant ?? pinned;
  if (tenant === undefined) {
    err(
      'toolbridge-mcp token: note: no tenant claim (no --tenant, no TOOLBRIDGE_TENANT_ID): a gateway that pins no tenant answers 403 to it',
    );
  } else if (pinned !== undefined && tenant !== pinned) {
    err(
      `toolbridge-mcp token: note: this gateway serves tenant ${JSON.stringify(pinned)} only and answers 403 to a token for ${JSON.stringify(tenant)}`,
    );
  }
  const { tenantClaim, issuer, audience } = config.auth;
  const claims: Record<string, string> = {
    sub: options.sub ?? DEV_SUBJECT,
    ...(tenant === undefined ? {} : { [tenantClaim]: tenant }),
    // The gateway checks these when they are configured.
    ...(issuer === undefined ? {} : { iss: issuer }),
    ...(audience === undefined ? {} : { aud: audience }),
  };
  out(await mintToken(secret.secret, claims, ttl));
  return 0;
}
