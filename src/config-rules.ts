import { backendAuthProblems, chosenBackendAuth } from './config-backend.ts';

/**
 * The configuration's rules beyond single variables: problems that stop the process (judged on
 * the raw variables) and standing warnings (judged on the parsed configuration).
 */

/**
 * What the configuration is loaded for; the rules differ: stdio has no client tokens, and the
 * `doctor`/`sign` commands verify no client tokens either.
 */
export type ConfigMode = 'http' | 'stdio' | 'cli';

/** What the warnings read of a parsed configuration. */
interface WarnedAbout {
  readonly tenantHeaderSecret?: string | undefined;
  readonly tenantId?: string | undefined;
  readonly goApiBaseUrl?: string | undefined;
  readonly publicBaseUrl?: string | undefined;
  readonly auth: { readonly mode: string; readonly jwksUrl?: string | undefined };
  readonly backChannel?: { readonly identitySecret?: string | undefined };
}

/**
 * Rules that tie variables together, judged on which variables are present so they are reported
 * together with any malformed value (zod skips object refinements once a field has failed).
 */
export function crossProblems(
  values: Readonly<Record<string, string>>,
  mode: ConfigMode,
  production: boolean,
): string[] {
  const has = (name: string) => values[name] !== undefined;
  const problems: string[] = [];
  const remote = has('TOOLBRIDGE_GO_API_BASE_URL');
  // A forgotten or misspelt URL in a deployment would otherwise serve an in-memory stand-in that
  // passes every health check and loses every write.
  if (production && !remote && mode !== 'cli') {
    problems.push(
      'TOOLBRIDGE_GO_API_BASE_URL is required with NODE_ENV=production: without it the gateway would serve its embedded, in-memory API',
    );
  }
  const redis = values['TOOLBRIDGE_REDIS_URL'];
  if (has('TOOLBRIDGE_REDIS_PASSWORD') && redis === undefined) {
    problems.push(
      'TOOLBRIDGE_REDIS_PASSWORD is set without TOOLBRIDGE_REDIS_URL: sessions would silently stay in this process',
    );
  }
  if (has('TOOLBRIDGE_REDIS_PASSWORD') && redis !== undefined && URL.canParse(redis)) {
    if (new URL(redis).password !== '') {
      problems.push(
        'TOOLBRIDGE_REDIS_PASSWORD is set and TOOLBRIDGE_REDIS_URL carries a password too: keep it in one place',
      );
    }
  }
  if (remote && !has('TOOLBRIDGE_TENANT_HEADER_SECRET')) {
    problems.push(
      "TOOLBRIDGE_TENANT_HEADER_SECRET is required with TOOLBRIDGE_GO_API_BASE_URL: the HMAC secret shared with the Go API's TENANT_HEADER_SECRET",
    );
  }
  problems.push(...backendAuthProblems(values, mode));
  if (mode === 'stdio') {
    // No client tokens on stdio: the backend identity is the shared token.
    if (!has('TOOLBRIDGE_JWT_TOKEN')) {
      problems.push(
        'TOOLBRIDGE_JWT_TOKEN is required with --stdio: the bearer token every call uses',
      );
    }
    // The embedded API would verify that token with a secret made up for the run: every call
    // would fail with 401 while health_check said healthy.
    if (!remote && !has('TOOLBRIDGE_JWT_SECRET')) {
      problems.push(
        'TOOLBRIDGE_GO_API_BASE_URL is required with --stdio (or TOOLBRIDGE_JWT_SECRET, the secret that signed TOOLBRIDGE_JWT_TOKEN, to use the embedded API)',
      );
    }
    return problems;
  }
  const authOff = values['TOOLBRIDGE_AUTH']?.trim().toLowerCase() === 'none';
  const verifies = mode === 'http';
  if (
    verifies &&
    remote &&
    !authOff &&
    !has('TOOLBRIDGE_JWT_SECRET') &&
    !has('TOOLBRIDGE_JWT_JWKS_URL')
  ) {
    problems.push(
      'TOOLBRIDGE_JWT_SECRET or TOOLBRIDGE_JWT_JWKS_URL is required to verify client tokens (TOOLBRIDGE_AUTH=none turns verification off on purpose)',
    );
  }
  // Every service-key call carries an identity token; without a way to check one, every such
  // call would be refused (or, worse, an integration would be tempted to skip the check).
  if (
    verifies &&
    has('TOOLBRIDGE_SERVICE_KEYS') &&
    !has('TOOLBRIDGE_IDENTITY_SECRET') &&
    !has('TOOLBRIDGE_JWT_JWKS_URL')
  ) {
    problems.push(
      'TOOLBRIDGE_SERVICE_KEYS needs TOOLBRIDGE_IDENTITY_SECRET or TOOLBRIDGE_JWT_JWKS_URL to verify the identity tokens that service-key calls carry',
    );
  }
  // A service-key call brings no user token: only a token minted for its verified user, or the
  // shared one, can act for it at the Go API (forward and exchange would have nothing to send).
  const backendAuth = chosenBackendAuth(values).mode;
  if (
    mode === 'http' &&
    has('TOOLBRIDGE_SERVICE_KEYS') &&
    backendAuth !== undefined &&
    backendAuth !== 'mint' &&
    backendAuth !== 'shared'
  ) {
    problems.push(
      `TOOLBRIDGE_SERVICE_KEYS needs TOOLBRIDGE_BACKEND_AUTH=mint (or shared): with ${backendAuth} a service-key call has no user token to send to the Go API`,
    );
  }
  const jwks = has('TOOLBRIDGE_JWT_JWKS_URL');
  if (jwks) {
    if (!has('TOOLBRIDGE_JWT_ISSUER')) {
      problems.push('TOOLBRIDGE_JWT_ISSUER is required with TOOLBRIDGE_JWT_JWKS_URL');
    }
    // RFC 8707 audience binding: a JWKS token must name this gateway, so the gateway must know
    // its name at start, not from each request's Host.
    if (!has('TOOLBRIDGE_PUBLIC_BASE_URL') && !has('TOOLBRIDGE_JWT_AUDIENCE')) {
      problems.push(
        'TOOLBRIDGE_PUBLIC_BASE_URL or TOOLBRIDGE_JWT_AUDIENCE is required with TOOLBRIDGE_JWT_JWKS_URL: tokens must name this gateway as their audience',
      );
    }
  }
  problems.push(...oauthProblems(has, jwks, authOff));
  return problems;
}

const SCOPE_VARIABLES = [
  'TOOLBRIDGE_REQUIRED_SCOPES',
  'TOOLBRIDGE_READ_SCOPE',
  'TOOLBRIDGE_WRITE_SCOPE',
] as const;

/** Settings of the OAuth resource server that would silently do nothing, or too little. */
function oauthProblems(has: (name: string) => boolean, jwks: boolean, authOff: boolean): string[] {
  const problems: string[] = [];
  for (const name of SCOPE_VARIABLES.filter(has)) {
    if (authOff) {
      problems.push(`${name} is set with TOOLBRIDGE_AUTH=none: unverified tokens have no scopes`);
    } else if (!jwks) {
      problems.push(
        `${name} is set without TOOLBRIDGE_JWT_JWKS_URL: scopes are checked on OAuth tokens from a JWKS only (the Go API's HS256 tokens carry none)`,
      );
    }
  }
  if (has('TOOLBRIDGE_READ_SCOPE') && !has('TOOLBRIDGE_WRITE_SCOPE')) {
    problems.push(
      'TOOLBRIDGE_READ_SCOPE is set without TOOLBRIDGE_WRITE_SCOPE: tools that write would need no scope while tools that read need one',
    );
  }
  if (has('TOOLBRIDGE_AUTHORIZATION_SERVERS') && !jwks) {
    problems.push(
      "TOOLBRIDGE_AUTHORIZATION_SERVERS is set without TOOLBRIDGE_JWT_JWKS_URL: the gateway could not verify those servers' tokens",
    );
  }
  return problems;
}

export function warningsFor(config: WarnedAbout, unknown: readonly string[]): string[] {
  const warnings = unknown.map((name) => `${name} is not a known variable and is ignored`);
  const secret = config.tenantHeaderSecret;
  if (secret !== undefined && secret !== secret.trim()) {
    warnings.push(
      'TOOLBRIDGE_TENANT_HEADER_SECRET starts or ends with whitespace; it is used verbatim as the HMAC key',
    );
  }
  if (secret !== undefined && secret.length < 16) {
    warnings.push('TOOLBRIDGE_TENANT_HEADER_SECRET is shorter than 16 characters');
  }
  const identitySecret = config.backChannel?.identitySecret;
  if (identitySecret !== undefined && identitySecret.length < 32) {
    // RFC 7518 §3.2: an HS256 key at least as long as the hash; identities are worth that.
    warnings.push('TOOLBRIDGE_IDENTITY_SECRET is shorter than 32 characters');
  }
  if (config.auth.mode === 'none') {
    warnings.push(
      'TOOLBRIDGE_AUTH=none: client tokens are not verified; anyone who can reach the port can call tools',
    );
    // With the embedded backend the tenant is pinned (serve.ts).
    if (config.tenantId === undefined && config.goApiBaseUrl !== undefined) {
      warnings.push(
        'TOOLBRIDGE_AUTH=none without TOOLBRIDGE_TENANT_ID: the tenant comes from an unverified token claim, so callers choose the tenant the gateway signs for',
      );
    }
  }
  if (config.auth.jwksUrl !== undefined && config.publicBaseUrl === undefined) {
    warnings.push(
      "TOOLBRIDGE_JWT_JWKS_URL without TOOLBRIDGE_PUBLIC_BASE_URL: the metadata's resource follows each request's Host, so OAuth clients may ask for tokens of an audience other than TOOLBRIDGE_JWT_AUDIENCE",
    );
  }
  return warnings;
}
