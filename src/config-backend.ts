import { BACKEND_AUTH_MODES, type BackendAuthMode } from './auth/identity.ts';
import type { ConfigMode } from './config-rules.ts';

/**
 * TOOLBRIDGE_BACKEND_AUTH: its default and the combinations that cannot work (docs/backend-auth.md).
 * Judged on which raw variables are present, like the other cross-variable rules, and never
 * naming a value.
 */

type Has = (name: string) => boolean;

/**
 * `shared` with TOOLBRIDGE_JWT_TOKEN, as before the variable existed. `mint` when client tokens
 * come from a JWKS: an identity provider's token means nothing to the Go API's HS256 check, so
 * forwarding it cannot work (unless the newer Go API trusts the same provider: set `forward` or
 * `exchange` then). `forward` otherwise, the drop-in default for the Go API's own tokens.
 */
export function defaultBackendAuth(set: {
  readonly sharedToken: boolean;
  readonly jwks: boolean;
  readonly authOff: boolean;
}): BackendAuthMode {
  if (set.sharedToken) return 'shared';
  if (set.jwks && !set.authOff) return 'mint';
  return 'forward';
}

/** The mode asked for, the default when none is, or undefined when the value is malformed. */
export function chosenBackendAuth(values: Readonly<Record<string, string>>): {
  mode: BackendAuthMode | undefined;
  explicit: boolean;
} {
  const raw = values['TOOLBRIDGE_BACKEND_AUTH'];
  if (raw === undefined) {
    const mode = defaultBackendAuth({
      sharedToken: values['TOOLBRIDGE_JWT_TOKEN'] !== undefined,
      jwks: values['TOOLBRIDGE_JWT_JWKS_URL'] !== undefined,
      authOff: values['TOOLBRIDGE_AUTH']?.trim().toLowerCase() === 'none',
    });
    return { mode, explicit: false };
  }
  const wanted = raw.trim().toLowerCase();
  return { mode: BACKEND_AUTH_MODES.find((mode) => mode === wanted), explicit: true };
}

const SECRET_NAMES = 'TOOLBRIDGE_BACKEND_JWT_SECRET (or TOOLBRIDGE_JWT_SECRET)';

export function backendAuthProblems(
  values: Readonly<Record<string, string>>,
  mode: ConfigMode,
): string[] {
  const has: Has = (name) => values[name] !== undefined;
  const { mode: chosen, explicit } = chosenBackendAuth(values);
  // A malformed value is reported by its own check; `doctor` and the other commands call nobody.
  if (chosen === undefined || mode === 'cli') return [];
  const setting = `TOOLBRIDGE_BACKEND_AUTH=${chosen}`;
  if (mode === 'stdio') {
    return explicit && chosen !== 'shared'
      ? [
          `${setting} does not work with --stdio: there are no client tokens there, every call acts as TOOLBRIDGE_JWT_TOKEN (shared)`,
        ]
      : [];
  }
  const problems: string[] = [];
  if (chosen === 'shared' && !has('TOOLBRIDGE_JWT_TOKEN')) {
    problems.push(`${setting} needs TOOLBRIDGE_JWT_TOKEN: the bearer token every call uses`);
  }
  if (chosen !== 'shared' && has('TOOLBRIDGE_JWT_TOKEN')) {
    problems.push(
      `TOOLBRIDGE_JWT_TOKEN is set, but ${setting} does not use it: unset it, or choose TOOLBRIDGE_BACKEND_AUTH=shared`,
    );
  }
  const authOff = values['TOOLBRIDGE_AUTH']?.trim().toLowerCase() === 'none';
  if ((chosen === 'mint' || chosen === 'exchange') && authOff) {
    problems.push(
      `${setting} acts for the token's subject, which TOOLBRIDGE_AUTH=none leaves unverified: any caller could act as any user`,
    );
  }
  // The embedded API's secret is the gateway's own, so only a Go API can lack one.
  const remote = has('TOOLBRIDGE_GO_API_BASE_URL');
  const secret = has('TOOLBRIDGE_BACKEND_JWT_SECRET') || has('TOOLBRIDGE_JWT_SECRET');
  if (chosen === 'mint' && remote && !secret) {
    problems.push(
      explicit
        ? `${setting} needs ${SECRET_NAMES}: the Go API's JWT_HS256_SECRET, which minted backend tokens are signed with`
        : `${SECRET_NAMES} is required: client tokens come from TOOLBRIDGE_JWT_JWKS_URL, so the gateway mints backend tokens (TOOLBRIDGE_BACKEND_AUTH defaults to mint) signed with the Go API's JWT_HS256_SECRET; or choose TOOLBRIDGE_BACKEND_AUTH=forward or exchange`,
    );
  }
  return problems;
}

/** What a parsed configuration's backend settings leave unused. */
export function backendAuthWarnings(backendAuth: {
  readonly mode: BackendAuthMode;
  readonly secret?: string | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
}): string[] {
  const used: Record<BackendAuthMode, readonly string[]> = {
    forward: [],
    shared: [],
    mint: ['secret', 'issuer', 'audience'],
    exchange: ['audience'],
  };
  const names = { secret: 'SECRET', issuer: 'ISSUER', audience: 'AUDIENCE' } as const;
  const unused: string[] = [];
  for (const field of ['secret', 'issuer', 'audience'] as const) {
    if (backendAuth[field] !== undefined && !used[backendAuth.mode].includes(field)) {
      unused.push(`TOOLBRIDGE_BACKEND_JWT_${names[field]}`);
    }
  }
  return unused.map(
    (name) => `${name} is set but TOOLBRIDGE_BACKEND_AUTH=${backendAuth.mode} does not use it`,
  );
}

/** One line for the start-up log and `doctor`. */
export function describeBackendAuth(mode: BackendAuthMode): string {
  switch (mode) {
    case 'forward':
      return "the caller's Authorization header (forward)";
    case 'shared':
      return 'the shared TOOLBRIDGE_JWT_TOKEN';
    case 'mint':
      return 'HS256 tokens minted per user, 5 minutes (mint)';
    case 'exchange':
      return "tokens from the Go API's POST /auth/token-exchange (exchange)";
  }
}
