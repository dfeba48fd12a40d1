/**
 * A real OpenID provider on loopback: panva's `oidc-provider` (an OpenID-certified
 * implementation), issuing ES256-signed JWT access tokens through the client-credentials grant
 * and the authorization-code grant with PKCE, whose user agent `authorize()` plays.
 *
 * Resource indicators (RFC 8707) are on, as MCP clients use them: a token request names the
 * resource it wants a token for, the provider refuses resources it does not know
 * (`invalid_target`), and the token's `aud` is that resource. oidc-provider issues JWT access
 * tokens only for a resource server that asks for them (`accessTokenFormat: 'jwt'`); without a
 * resource it would issue an opaque token, which the gateway could not verify. Each client is
 * granted, per resource, only the scopes listed for it here: that is how a read-only client is
 * made. The provider keeps everything in memory and stops after the test.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { z } from 'zod';
import { listen } from './loopback.ts';
import { registerSecret } from './secret-ledger.ts';

export interface OidcClient {
  readonly id: string;
  /** The scopes this client gets for each known resource (a subset of what it asks for). */
  readonly scopes: readonly string[];
  /**
   * Makes it a public native client of the authorization-code grant with PKCE (RFC 8252), which
   * is sent back here; without it, a confidential client-credentials client.
   */
  readonly redirectUri?: string;
}

export interface OidcOptions {
  /** Resource indicators the provider issues tokens for; any other is `invalid_target`. */
  readonly resources: readonly string[];
  readonly clients: readonly OidcClient[];
  /** Extra claims in every access token (e.g. the gateway's tenant claim). */
  readonly claims?: Readonly<Record<string, string>>;
  /** Who signs in when an authorization request needs a user (default: user-1). */
  readonly account?: string;
}

export interface RunningOidc {
  /** http://127.0.0.1:<port>, exactly as the tokens' `iss` and the discovery document say. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly tokenEndpoint: string;
  /** The generated secret of a client (client_secret_basic). */
  secretOf(clientId: string): string;
  /** A client-credentials token request made directly, for tests that skip the MCP client. */
  token(clientId: string, params: { resource?: string; scope?: string }): Promise<string>;
  /**
   * Plays the user agent of an authorization request: follows its redirects with the provider's
   * cookies until the provider sends it to the client's redirect URI, and returns that URL (with
   * `code`, `iss`, `state`).
   */
  authorize(authorizationUrl: URL): Promise<URL>;
}

const TokenResponse = z.object({ access_token: z.string(), token_type: z.string() });
const MissingResourceScopes = z.record(z.string(), z.array(z.string()));

/**
 * The provider's storage, one per provider: oidc-provider's own memory adapter is shared by every
 * instance in the process (and warns on each start). Expiry is left to the provider, which checks
 * it on every stored model it reads; these live only as long as a test.
 */
function memoryStorage(): (name: string) => Adapter {
  const stored = new Map<string, AdapterPayload>();
  return (name) => {
    const key = (id: string) => `${name}:${id}`;
    const where = (match: (payload: AdapterPayload) => boolean) =>
      Promise.resolve([...stored.values()].find(match));
    return {
      upsert: (id, payload) => Promise.resolve(void stored.set(key(id), payload)),
      find: (id) => Promise.resolve(stored.get(key(id))),
      findByUid: (uid) => where((payload) => payload.uid === uid),
      findByUserCode: (userCode) => where((payload) => payload.userCode === userCode),
      consume: (id) => {
        const payload = stored.get(key(id));
        if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
        return Promise.resolve();
      },
      destroy: (id) => Promise.resolve(void stored.delete(key(id))),
      revokeByGrantId: (grantId) => {
        for (const [id, payload] of stored) if (payload.grantId === grantId) stored.delete(id);
        return Promise.resolve();
      },
    };
  };
}

export async function startOidcProvider(options: OidcOptions): Promise<RunningOidc> {
  // The issuer names the port, so the socket is bound first and handed the provider afterwards.
  const server = createServer();
  const issuer = await listen(server);
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'es256-1', alg: 'ES256', use: 'sig' };
  const secrets = new Map(
    options.clients.map((client) => [client.id, randomBytes(24).toString('hex')]),
  );
  registerSecret(...secrets.values());
  const scopesOf = new Map(options.clients.map((client) => [client.id, client.scopes]));

  const provider = new Provider(issuer, {
    adapter: memoryStorage(),
    clients: options.clients.map((client) =>
      client.redirectUri === undefined
        ? {
            client_id: client.id,
            client_secret: secrets.get(client.id) ?? '',
            grant_types: ['client_credentials'],
            response_types: [],
            redirect_uris: [],
            token_endpoint_auth_method: 'client_secret_basic',
          }
        : {
            client_id: client.id,
            application_type: 'native',
            grant_types: ['authorization_code'],
            response_types: ['code'],
            redirect_uris: [client.redirectUri],
            token_endpoint_auth_method: 'none',
          },
    ),
    // Accounts exist as soon as someone signs in with their id.
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    jwks: { keys: [signingKey] },
    features: {
      // No end-user interactions here: the client-credentials grant has none.
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo(_ctx, resourceIndicator, client) {
          if (!options.resources.includes(resourceIndicator)) throw new errors.InvalidTarget();
          return {
            scope: (scopesOf.get(client.clientId) ?? []).join(' '),
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    extraTokenClaims: () => ({ ...options.claims }),
    // Lifetimes of a test's artifacts, set so the provider does not note its defaults.
    ttl: { AccessToken: 300, ClientCredentials: 300, Grant: 600, Interaction: 300, Session: 600 },
  });
  const handle = provider.callback();
  /**
   * The sign-in and consent pages, answered at once: the configured account signs in, and
   * consents to every scope the client asked for of each resource (what oidc-provider's own
   * development pages do once a person has filled them in).
   */
  const interact = async (req: IncomingMessage, res: ServerResponse) => {
    const { prompt, grantId, session, params } = await provider.interactionDetails(req, res);
    if (prompt.name === 'login') {
      const login = { accountId: options.account ?? 'user-1' };
      await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
      return;
    }
    const grant =
      (grantId === undefined ? undefined : await provider.Grant.find(grantId)) ??
      new provider.Grant({ accountId: session?.accountId, clientId: String(params['client_id']) });
    const missing = MissingResourceScopes.parse(prompt.details['missingResourceScopes'] ?? {});
    for (const [resource, scopes] of Object.entries(missing)) {
      grant.addResourceScope(resource, scopes);
    }
    const consent = { grantId: await grant.save() };
    await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  };
  // Koa answers its own errors; the promises only say when an answer is done.
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/') === true) {
      interact(req, res).catch((error: unknown) => {
        res.writeHead(500).end(error instanceof Error ? error.message : 'interaction failed');
      });
      return;
    }
    void handle(req, res);
  });

  const secretOf = (clientId: string) => {
    const secret = secrets.get(clientId);
    if (secret === undefined) throw new Error(`no client ${clientId}`);
    return secret;
  };
  const tokenEndpoint = `${issuer}/token`;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    tokenEndpoint,
    secretOf,
    async token(clientId, params) {
      const body = new URLSearchParams({ grant_type: 'client_credentials' });
      if (params.resource !== undefined) body.set('resource', params.resource);
      if (params.scope !== undefined) body.set('scope', params.scope);
      const basic = Buffer.from(`${clientId}:${secretOf(clientId)}`).toString('base64');
      const response = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}` },
        body,
      });
      if (!response.ok) throw new Error(`token request failed with ${response.status}`);
      return TokenResponse.parse(await response.json()).access_token;
    },
    async authorize(authorizationUrl) {
      const cookies = new Map<string, string>();
      let url = authorizationUrl;
      for (let hop = 0; hop < 10; hop += 1) {
        const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
        const response = await fetch(url, { redirect: 'manual', headers: { cookie } });
        await response.arrayBuffer();
        for (const line of response.headers.getSetCookie()) {
          const [pair = ''] = line.split(';');
          const at = pair.indexOf('=');
          if (at > 0) cookies.set(pair.slice(0, at), pair.slice(at + 1));
        }
        const location = response.headers.get('location');
        if (location === null) throw new Error(`the provider answered ${response.status}`);
        const next = new URL(location, url);
        if (next.origin !== issuer) return next;
        url = next;
      }
      throw new Error('the authorization request did not reach the redirect URI');
    },
  };
}
