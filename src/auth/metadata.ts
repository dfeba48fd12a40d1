import type { AppError } from '../errors.ts';

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) and the `WWW-Authenticate` challenge that
 * points clients at it, so MCP clients can discover where to get a token (CONTRACT.md E.2 shows
 * the Python service grew the same endpoints later).
 */

export const METADATA_PATH = '/.well-known/oauth-protected-resource';

export interface ResourceMetadataOptions {
  /** e.g. https://toolbridge-mcp.fly.dev — the MCP endpoint is `<base>/mcp`. */
  baseUrl: string;
  /** The token issuer, advertised as the authorization server when known. */
  issuer?: string | undefined;
}

export function resourceMetadata({ baseUrl, issuer }: ResourceMetadataOptions) {
  return {
    resource: `${baseUrl}/mcp`,
    ...(issuer === undefined ? {} : { authorization_servers: [issuer] }),
    bearer_methods_supported: ['header'],
    resource_name: 'ToolBridge MCP gateway',
  };
}

export const metadataUrl = (baseUrl: string) => `${baseUrl}${METADATA_PATH}/mcp`;

/** An RFC 7235 quoted-string: printable ASCII only, without the quote and the backslash. */
const quoted = (value: string) => `"${value.replace(/[^\x20-\x7e]|["\\]/g, '')}"`;

/**
 * RFC 6750 §3: no error attribute when the request carried no credentials; `invalid_token`
 * (with a description safe to show) when it carried a bad one.
 */
export function bearerChallenge(baseUrl: string, error?: AppError): string {
  const parts = [`resource_metadata=${quoted(metadataUrl(baseUrl))}`];
  if (error !== undefined && error.code !== 'TOKEN_MISSING') {
    parts.unshift(`error="invalid_token"`, `error_description=${quoted(error.message)}`);
  }
  return `Bearer ${parts.join(', ')}`;
}
