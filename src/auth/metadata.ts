import type { AppError } from '../errors.ts';

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) and the `WWW-Authenticate` challenges that
 * point clients at it, so MCP clients can discover where to get a token (CONTRACT.md E.2 shows
 * the Python service grew the same endpoints later).
 *
 * The gateway is one protected resource, its MCP endpoint `<base>/mcp` (the legacy SSE pair is
 * the same server behind the same tokens). RFC 9728 §3.1 puts that identifier's metadata at
 * `/.well-known/oauth-protected-resource/mcp`, which every challenge names; the same document
 * is also served at the root well-known path for clients that look only there.
 */

export const METADATA_PATH = '/.well-known/oauth-protected-resource';

/** The resource identifier: what the metadata says, what clients send as `resource`, the `aud`. */
export const resourceOf = (baseUrl: string) => `${baseUrl}/mcp`;

export interface ResourceMetadataOptions {
  /** e.g. https://toolbridge-mcp.fly.dev — the MCP endpoint is `<base>/mcp`. */
  baseUrl: string;
  /** Issuers of the tokens this gateway accepts (TOOLBRIDGE_AUTHORIZATION_SERVERS). */
  authorizationServers?: readonly string[] | undefined;
  /** TOOLBRIDGE_REQUIRED_SCOPES, _READ_SCOPE and _WRITE_SCOPE. */
  scopesSupported?: readonly string[] | undefined;
}

export function resourceMetadata({
  baseUrl,
  authorizationServers = [],
  scopesSupported = [],
}: ResourceMetadataOptions) {
  return {
    resource: resourceOf(baseUrl),
    ...(authorizationServers.length === 0
      ? {}
      : { authorization_servers: [...authorizationServers] }),
    ...(scopesSupported.length === 0 ? {} : { scopes_supported: [...scopesSupported] }),
    bearer_methods_supported: ['header'],
    resource_name: 'ToolBridge MCP gateway',
  };
}

export const metadataUrl = (baseUrl: string) => `${baseUrl}${METADATA_PATH}/mcp`;

/** An RFC 7235 quoted-string: printable ASCII only, without the quote and the backslash. */
const quoted = (value: string) => `"${value.replace(/[^\x20-\x7e]|["\\]/g, '')}"`;

export interface ChallengeOptions {
  /** Why the credentials were refused; none when the request carried none. */
  error?: AppError | undefined;
  /**
   * The `scope` attribute (RFC 6750 §3): the scopes the request needs. MCP clients request
   * these when they ask for a token, so a 401 names every scope the gateway knows of.
   */
  scope?: readonly string[] | undefined;
}

/**
 * RFC 6750 §3: no error attribute when the request carried no credentials; `invalid_token`
 * (with a description safe to show) when it carried a bad one; `insufficient_scope` (with 403)
 * when the token lacks a scope the request needs.
 */
export function bearerChallenge(baseUrl: string, options: ChallengeOptions = {}): string {
  const { error, scope = [] } = options;
  const parts = [`resource_metadata=${quoted(metadataUrl(baseUrl))}`];
  if (scope.length > 0) parts.push(`scope=${quoted(scope.join(' '))}`);
  if (error !== undefined && error.code !== 'TOKEN_MISSING') {
    const kind = error.code === 'SCOPE_INSUFFICIENT' ? 'insufficient_scope' : 'invalid_token';
    parts.unshift(`error="${kind}"`, `error_description=${quoted(error.message)}`);
  }
  return `Bearer ${parts.join(', ')}`;
}
