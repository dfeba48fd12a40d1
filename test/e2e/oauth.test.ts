/**
 * The gateway as an OAuth resource server in front of a real OpenID provider (oidc-provider on
 * loopback, test/helpers/oidc.ts): the SDK client's own OAuth support finds the provider through
 * the gateway's RFC 9728 metadata, gets a client-credentials token for the gateway's resource,
 * and calls tools. The API behind the gateway is the embedded one, which accepts only its own
 * HS256 tokens: the gateway calls it with a shared backend token (TOOLBRIDGE_JWT_TOKEN).
 */
import {
  Client,
  ClientCredentialsProvider,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePort } from '../../bench/lib/processes.ts';
import type { ScopeSettings } from '../../src/auth/scopes.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { startOidcProvider, type RunningOidc } from '../helpers/oidc.ts';
import {
  ItemList,
  MCP_HEADERS,
  TENANT,
  ToolResult,
  initializeBody,
  rawRequest,
  startStack,
  structuredOf,
  textOf,
  type Era,
  type Stack,
} from './stack.ts';

const MCP = 'toolbridge:mcp';
const READ = 'toolbridge:read';
const WRITE = 'toolbridge:write';
const ALL = `${MCP} ${READ} ${WRITE}`;
const OTHER_RESOURCE = 'https://other-service.example/mcp';
const SCOPED: ScopeSettings = { required: [MCP], read: READ, write: WRITE };
/** Where the provider sends the user agent back to a desktop client (RFC 8252 loopback). */
const REDIRECT_URI = 'http://127.0.0.1:7/callback';

interface OauthStack {
  readonly stack: Stack;
  readonly oidc: RunningOidc;
  /** The gateway's public base URL; its resource is `${base}/mcp`. */
  readonly base: string;
  readonly resource: string;
  /** The HS256 token the gateway sends the API. */
  readonly sharedToken: string;
}

/**
 * The provider knows the gateway's resource and another service's. Its clients: `agent` may
 * have every scope, `reader` no write scope, `outsider` not the scope every request needs.
 */
async function startOauthStack(
  scopes: ScopeSettings = SCOPED,
  authorizationServers?: readonly string[],
): Promise<OauthStack> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const resource = `${base}/mcp`;
  const oidc = await startOidcProvider({
    resources: [resource, OTHER_RESOURCE],
    clients: [
      { id: 'agent', scopes: [MCP, READ, WRITE] },
      { id: 'reader', scopes: [MCP, READ] },
      { id: 'outsider', scopes: [READ, WRITE] },
      { id: 'desktop', scopes: [MCP, READ, WRITE], redirectUri: REDIRECT_URI },
    ],
    claims: { tenant_id: TENANT },
  });
  let sharedToken = '';
  const stack = await startStack({
    port,
    publicBaseUrl: base,
    jwksUrl: oidc.jwksUrl,
    issuer: oidc.issuer,
    scopes,
    ...(authorizationServers === undefined ? {} : { authorizationServers }),
    sharedToken: async (mint) => {
      sharedToken = await mint({ sub: 'service-user' });
      return sharedToken;
    },
  });
  return { stack, oidc, base, resource, sharedToken };
}

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** A form body (token requests), parsed. */
  readonly form?: URLSearchParams;
}

/** The SDK client with its OAuth provider for `clientId`; every HTTP exchange is recorded. */
async function oauthClient(
  setup: OauthStack,
  clientId: string,
  era: Era,
): Promise<{ client: Client; seen: Seen[] }> {
  const seen: Seen[] = [];
  const recording = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(url, init);
    const body = init?.body;
    seen.push({
      method: init?.method ?? 'GET',
      url: String(url),
      status: response.status,
      ...(body instanceof URLSearchParams ? { form: body } : {}),
    });
    return response;
  };
  const authProvider = new ClientCredentialsProvider({
    clientId,
    clientSecret: setup.oidc.secretOf(clientId),
    expectedIssuer: setup.oidc.issuer,
  });
  const client = new Client(
    { name: 'oauth-e2e', version: '1.0.0' },
    { versionNegotiation: { mode: era === '2026' ? { pin: '2026-07-28' } : 'legacy' } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(setup.resource), { authProvider, fetch: recording }),
  );
  onCleanup(async () => {
    await client.close().catch(() => undefined);
  });
  return { client, seen };
}

const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  ToolResult.parse(await client.callTool({ name, arguments: args }));

const ERAS: readonly Era[] = ['2025', '2026'];

describe('an MCP client with OAuth, against a real OpenID provider', () => {
  it.each(ERAS)(
    '%s: discovers the provider from the metadata, gets a token for this gateway, calls tools',
    async (era) => {
      const setup = await startOauthStack();
      const { client, seen } = await oauthClient(setup, 'agent', era);

      // The discovery, in order: refused → the resource's metadata → the provider's metadata
      // → its token endpoint, asking for this gateway's resource → the retried request.
      const first = seen.findIndex((s) => s.url === setup.resource);
      expect(seen[first]?.status).toBe(401);
      const steps = seen.slice(first + 1).map((s) => `${s.method} ${s.url} ${s.status}`);
      const metadataAt = steps.indexOf(
        `GET ${setup.base}/.well-known/oauth-protected-resource/mcp 200`,
      );
      const providerAt = steps.findIndex((step) =>
        step.startsWith(`GET ${setup.oidc.issuer}/.well-known/`),
      );
      const tokenAt = steps.indexOf(`POST ${setup.oidc.tokenEndpoint} 200`);
      const retriedAt = steps.indexOf(`POST ${setup.resource} 200`);
      expect(metadataAt).toBeGreaterThanOrEqual(0);
      expect(providerAt).toBeGreaterThan(metadataAt);
      expect(tokenAt).toBeGreaterThan(providerAt);
      expect(retriedAt).toBeGreaterThan(tokenAt);
      const tokenRequest = seen.find((s) => s.url === setup.oidc.tokenEndpoint)?.form;
      expect(tokenRequest?.get('grant_type')).toBe('client_credentials');
      expect(tokenRequest?.get('resource')).toBe(setup.resource);
      // With no scope of its own, the client asked for what the challenge named.
      expect(tokenRequest?.get('scope')).toBe(ALL);

      const { tools } = await client.listTools();
      expect(tools).toHaveLength(41);
      const created = structuredOf(
        await call(client, 'create_note', { title: 'via OAuth', content: 'x' }),
      );
      const listed = ItemList.parse(structuredOf(await call(client, 'list_notes', {})));
      expect(listed.items.map((item) => item.uid)).toContain(created['uid']);
      // The API was called with the shared backend token only.
      expect(setup.stack.front.requests.length).toBeGreaterThan(0);
      for (const request of setup.stack.front.requests) {
        expect(request.headers['authorization']).toBe(`Bearer ${setup.sharedToken}`);
      }
    },
  );

  it.each(ERAS)(
    '%s: a token without the write scope reads, and a writing tool says which scope it needs',
    async (era) => {
      const setup = await startOauthStack();
      const { client } = await oauthClient(setup, 'reader', era);
      expect((await call(client, 'list_notes', {})).isError).toBe(false);
      const refused = await call(client, 'create_note', {
        title: 'not allowed',
        content: 'x',
      });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toBe(
        `Error calling tool 'create_note': this tool needs the '${WRITE}' scope, which the token does not grant`,
      );
      // Refused before any work: no note was written.
      const notes = setup.stack.front.dataRequests().filter((r) => r.method !== 'GET');
      expect(notes).toEqual([]);
    },
  );
});

/**
 * What an interactive MCP client (a desktop app) keeps between sending its user to the
 * authorization server and the callback: a pre-registered public client using PKCE.
 */
class DesktopClient implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  private saved: {
    tokens?: StoredOAuthTokens;
    verifier?: string;
    discovery?: OAuthDiscoveryState;
  } = {};

  private readonly issuer: string;

  constructor(issuer: string) {
    this.issuer = issuer;
  }

  get redirectUrl(): string {
    return REDIRECT_URI;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'oauth-e2e desktop',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return { client_id: 'desktop', issuer: this.issuer };
  }
  tokens() {
    return this.saved.tokens;
  }
  saveTokens(tokens: StoredOAuthTokens) {
    this.saved.tokens = tokens;
  }
  redirectToAuthorization(authorizationUrl: URL) {
    this.authorizationUrl = authorizationUrl;
  }
  saveCodeVerifier(verifier: string) {
    this.saved.verifier = verifier;
  }
  codeVerifier() {
    if (this.saved.verifier === undefined) throw new Error('no code verifier saved');
    return this.saved.verifier;
  }
  saveDiscoveryState(discovery: OAuthDiscoveryState) {
    this.saved.discovery = discovery;
  }
  discoveryState() {
    return this.saved.discovery;
  }
}

describe('a desktop MCP client, with the authorization-code grant and PKCE', () => {
  it('sends its user to the provider, takes the code back, and calls tools as that user', async () => {
    const setup = await startOauthStack();
    const desktop = new DesktopClient(setup.oidc.issuer);
    const newClient = () => {
      const client = new Client({ name: 'oauth-e2e', version: '1.0.0' });
      onCleanup(async () => {
        await client.close().catch(() => undefined);
      });
      return client;
    };
    const transport = () =>
      new StreamableHTTPClientTransport(new URL(setup.resource), { authProvider: desktop });

    const first = transport();
    await expect(newClient().connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const sent = desktop.authorizationUrl;
    if (sent === undefined) throw new Error('the client sent its user nowhere');
    expect(sent.origin).toBe(setup.oidc.issuer);
    expect(sent.searchParams.get('resource')).toBe(setup.resource);
    expect(sent.searchParams.get('code_challenge_method')).toBe('S256');

    const callback = await setup.oidc.authorize(sent);
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
    await first.finishAuth(callback.searchParams);
    const claims = decodeJwt(desktop.tokens()?.access_token ?? '');
    expect(claims).toMatchObject({ sub: 'user-1', aud: setup.resource, scope: ALL });

    const client = newClient();
    await client.connect(transport());
    const created = structuredOf(
      await call(client, 'create_note', { title: 'as a user', content: 'x' }),
    );
    expect(created['uid']).toEqual(expect.any(String));
  });
});

/** The 2026-07-28 headers and envelope of a plain tools/call, which the direct path serves. */
const plainCall = (name: string, args: Record<string, unknown>) => ({
  headers: {
    ...MCP_HEADERS,
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': name,
  },
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      name,
      arguments: args,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  }),
});

const WireResult = z.object({ result: ToolResult });

describe('tokens the gateway refuses, over the wire', () => {
  const post = (url: string, token: string | undefined, body = initializeBody()) =>
    rawRequest(url, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      },
      body,
    });

  it('a token the provider issued for another service: 401 invalid_token, saying why', async () => {
    const setup = await startOauthStack();
    const token = await setup.oidc.token('agent', { resource: OTHER_RESOURCE, scope: ALL });
    const reply = await post(setup.resource, token);
    expect(reply.status).toBe(401);
    const why = `the token is for another audience: its 'aud' must name ${setup.resource}`;
    expect(reply.json).toEqual({ error: 'invalid_token', error_description: why });
    expect(reply.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", error_description="${why}", resource_metadata="${setup.base}/.well-known/oauth-protected-resource/mcp", scope="${ALL}"`,
    );
    expect(reply.text).not.toContain(token);
    expect(setup.stack.front.requests).toEqual([]);
  });

  it('no token: 401 whose body says a bearer token is expected and where the metadata is', async () => {
    const setup = await startOauthStack();
    const reply = await post(setup.resource, undefined);
    expect(reply.status).toBe(401);
    const metadata = `${setup.base}/.well-known/oauth-protected-resource/mcp`;
    expect(reply.json).toEqual({
      error: 'invalid_token',
      error_description: `this endpoint expects a bearer token in the Authorization header ("Authorization: Bearer <token>"); where to get one is described by the protected-resource metadata at ${metadata}`,
    });
    // RFC 6750 §3.1: no error attributes in the challenge of a request without credentials.
    expect(reply.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${metadata}", scope="${ALL}"`,
    );
  });

  it('a token without a required scope: 403 insufficient_scope naming the scope', async () => {
    const setup = await startOauthStack();
    const token = await setup.oidc.token('outsider', { resource: setup.resource, scope: ALL });
    const reply = await post(setup.resource, token);
    expect(reply.status).toBe(403);
    const why = `the token lacks the scope this gateway requires: ${MCP}`;
    expect(reply.json).toEqual({ error: 'insufficient_scope', error_description: why });
    expect(reply.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="${why}", resource_metadata="${setup.base}/.well-known/oauth-protected-resource/mcp", scope="${MCP}"`,
    );
    expect(setup.stack.front.requests).toEqual([]);
  });

  it('a read-only token on the 2026-07-28 direct path: the same isError, nothing written', async () => {
    const setup = await startOauthStack();
    const token = await setup.oidc.token('reader', { resource: setup.resource, scope: ALL });
    const { headers, body } = plainCall('create_note', { title: 'not allowed', content: 'x' });
    const reply = await rawRequest(setup.resource, {
      method: 'POST',
      headers: { ...headers, Authorization: `Bearer ${token}` },
      body,
    });
    expect(reply.status).toBe(200);
    const { result } = WireResult.parse(reply.json);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`needs the '${WRITE}' scope`);
    expect(setup.stack.front.requests).toEqual([]);
  });

  it('HS256 tokens of the Go API keep working, without scopes or the resource audience', async () => {
    const setup = await startOauthStack();
    const reply = await post(
      setup.resource,
      await setup.stack.token({ issuer: setup.oidc.issuer }),
    );
    expect(reply.status).toBe(200);
  });
});

const Metadata = z.object({
  resource: z.string(),
  authorization_servers: z.array(z.string()),
  scopes_supported: z.array(z.string()),
  bearer_methods_supported: z.array(z.string()),
});

describe('the protected-resource metadata (RFC 9728)', () => {
  it('names the gateway, its authorization server and every scope, at both paths', async () => {
    const setup = await startOauthStack();
    for (const path of ['', '/mcp']) {
      const reply = await rawRequest(`${setup.base}/.well-known/oauth-protected-resource${path}`, {
        method: 'GET',
      });
      expect(Metadata.parse(reply.json)).toEqual({
        resource: setup.resource,
        authorization_servers: [setup.oidc.issuer],
        scopes_supported: [MCP, READ, WRITE],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('lists the configured authorization servers instead, and no scopes when none are set', async () => {
    const servers = ['https://auth.example.com/', 'https://other-auth.example.com'];
    const setup = await startOauthStack({}, servers);
    const reply = await rawRequest(`${setup.base}/.well-known/oauth-protected-resource/mcp`, {
      method: 'GET',
    });
    expect(reply.json).toEqual({
      resource: setup.resource,
      authorization_servers: servers,
      bearer_methods_supported: ['header'],
      resource_name: 'ToolBridge MCP gateway',
    });
  });
});
