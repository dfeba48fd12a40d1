/**
 * TOOLBRIDGE_BACKEND_AUTH=mint and =exchange over real sockets: the gateway in front of the
 * embedded API configured with an issuer and audience (CONTRACT.md B.2, E.3, E.4), the recording
 * front noting every Authorization the API receives. The caller's token never reaches a data
 * route, and no token or secret reaches a log line.
 */
import {
  SignJWT,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
} from 'jose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackendOptions } from '../../src/backend/index.ts';
import {
  startGateway,
  type BackendAuthSettings,
  type GatewayDeps,
  type GatewaySettings,
} from '../../src/gateway.ts';
import { createTenantSigner } from '../../src/tenant-headers/index.ts';
import { startCli } from '../helpers/cli.ts';
import { capturingLogger } from '../helpers/log-capture.ts';
import { onCleanup } from '../helpers/loopback.ts';
import {
  TENANT,
  callTool,
  connect,
  mint,
  randomSecret,
  startFront,
  structuredOf,
  textOf,
  type Front,
  type Recorded,
} from './stack.ts';

const IDP_ISSUER = 'https://example.authkit.app';
const MCP_AUDIENCE = 'https://mcp.example/mcp';
/** The Go API's own settings: JWT_ISSUER/JWT_AUDIENCE (E.3) or AUTH0_DOMAIN/AUTH0_AUDIENCE (B.2). */
const API_ISSUER = 'https://tenant.auth0.example/';
const API_AUDIENCE = 'https://toolbridgeapi.example';
const EXCHANGE_PATH = '/auth/token-exchange';

interface Setup {
  readonly front: Front;
  readonly url: string;
  readonly jwtSecret: string;
  readonly tenantHeaderSecret: string;
  readonly log: ReturnType<typeof capturingLogger>;
}

/** The front (embedded API) and a gateway in `backendAuth` mode in front of it. */
async function start(options: {
  readonly backend: Pick<BackendOptions, 'issuer' | 'audience' | 'backendTokens'>;
  readonly backendAuth: (jwtSecret: string) => BackendAuthSettings;
  readonly auth: (jwtSecret: string) => GatewaySettings['auth'];
  readonly deps?: GatewayDeps;
}): Promise<Setup> {
  const jwtSecret = randomSecret('go-jwt');
  const tenantHeaderSecret = randomSecret('tenant');
  const front = await startFront({ jwtSecret, tenantHeaderSecret, backend: options.backend });
  // No secrets handed to the logger's scrubber: what is not there need not be scrubbed.
  const log = capturingLogger('trace');
  const gateway = await startGateway(
    {
      goApiBaseUrl: front.url,
      tenantHeaderSecret,
      auth: options.auth(jwtSecret),
      backendAuth: options.backendAuth(jwtSecret),
      pinnedTenant: TENANT,
      host: '127.0.0.1',
      port: 0,
      allowedOrigins: [],
      toolTimeoutMs: 5_000,
      sessionIdleSeconds: 600,
      maxSessions: 100,
    },
    log.logger,
    options.deps,
  );
  onCleanup(() => gateway.close());
  return { front, url: gateway.url, jwtSecret, tenantHeaderSecret, log };
}

/** An identity provider whose RS256 tokens the gateway checks through a (local) key set. */
async function identityProvider() {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
  return {
    jwks: createLocalJWKSet({ keys: [jwk] }),
    token: (sub: string) =>
      new SignJWT({ tenant_id: TENANT })
        .setProtectedHeader({ alg: 'RS256', kid: 'idp-key-1' })
        .setSubject(sub)
        .setIssuer(IDP_ISSUER)
        .setAudience(MCP_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
  };
}

const jwksAuth = (): GatewaySettings['auth'] => ({
  mode: 'jwt',
  jwksUrl: 'https://example.authkit.app/oauth2/jwks',
  issuer: IDP_ISSUER,
  audience: MCP_AUDIENCE,
  tenantClaim: 'tenant_id',
});

const bearerOf = (request: Recorded): string =>
  (request.headers['authorization'] ?? '').replace(/^Bearer /, '');

/** Nothing the API received, in any header or body, contains `token`. */
function expectNowhere(front: Front, token: string, requests = front.requests): void {
  for (const request of requests) {
    const seen = JSON.stringify([request.headers, request.rawBody, request.path, request.query]);
    // Named by request, never by value: a failing test must not print the token.
    expect(seen.includes(token), `${request.method} ${request.path} carries it`).toBe(false);
  }
}

/** No line of the log holds any of these. */
function expectNotLogged(setup: Setup, values: readonly string[]): void {
  const text = setup.log.text();
  expect(text.length).toBeGreaterThan(0);
  values.forEach((value, i) => {
    expect(text.includes(value), `value ${i} was logged`).toBe(false);
  });
}

async function useNotes(url: string, token: string): Promise<void> {
  const client = await connect(url, token, '2025');
  const created = structuredOf(
    await callTool(client, 'create_note', { title: 'Hi', content: 'x' }),
  );
  const uid = String(created['uid']);
  expect(structuredOf(await callTool(client, 'get_note', { uid }))['uid']).toBe(uid);
  structuredOf(await callTool(client, 'list_notes', { limit: 5 }));
}

describe('mint: the API receives a token the gateway signed, never the caller token', () => {
  it('in front of the newer API (JWT_ISSUER/JWT_AUDIENCE), with client tokens from a JWKS', async () => {
    const idp = await identityProvider();
    const setup = await start({
      backend: { issuer: API_ISSUER, audience: API_AUDIENCE },
      backendAuth: (secret) => ({ mode: 'mint', secret }),
      auth: jwksAuth,
      deps: { jwks: idp.jwks },
    });
    const clientToken = await idp.token('alice');

    await useNotes(setup.url, clientToken);

    const { requests } = setup.front;
    expect(requests.length).toBeGreaterThanOrEqual(4);
    expectNowhere(setup.front, clientToken);
    // One token for all of them: the cache, not a signature per call.
    const minted = new Set(requests.map(bearerOf));
    expect(minted.size).toBe(1);
    const [token] = [...minted];
    expect(decodeProtectedHeader(token!).alg).toBe('HS256');
    const { payload } = await jwtVerify(token!, new TextEncoder().encode(setup.jwtSecret));
    expect(payload).toMatchObject({
      sub: 'alice',
      tenant_id: TENANT,
      token_type: 'backend',
      iss: 'toolbridge-mcp',
    });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
    // Passed through, the caller's token would not have done.
    const signer = createTenantSigner({ tenantId: TENANT, secret: setup.tenantHeaderSecret });
    const direct = await fetch(`${setup.front.url}/v1/sync/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientToken}`, ...signer.headers() },
    });
    expect([direct.status, await direct.text()]).toEqual([401, 'unauthorized\n']);
    expectNotLogged(setup, [clientToken, token!, setup.jwtSecret, setup.tenantHeaderSecret]);
  });

  it.each([
    ['with the API issuer and audience set, works', true],
    ['without them, is refused by the API', false],
  ])(
    'in front of the older API (AUTH0_DOMAIN/AUTH0_AUDIENCE, no backend tokens) %s',
    async (_name, withClaims) => {
      const idp = await identityProvider();
      const setup = await start({
        backend: { issuer: API_ISSUER, audience: API_AUDIENCE, backendTokens: false },
        backendAuth: (secret) => ({
          mode: 'mint',
          secret,
          ...(withClaims ? { issuer: API_ISSUER, audience: API_AUDIENCE } : {}),
        }),
        auth: jwksAuth,
        deps: { jwks: idp.jwks },
      });
      const clientToken = await idp.token('bob');
      const client = await connect(setup.url, clientToken, '2025');

      const result = await callTool(client, 'list_notes', { limit: 1 });

      if (withClaims) {
        structuredOf(result);
        const { payload } = await jwtVerify(
          bearerOf(setup.front.requests[0]!),
          new TextEncoder().encode(setup.jwtSecret),
          { issuer: API_ISSUER, audience: API_AUDIENCE },
        );
        expect(payload.sub).toBe('bob');
      } else {
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain('401 Unauthorized');
      }
      expectNowhere(setup.front, clientToken);
      expectNotLogged(setup, [clientToken, setup.jwtSecret]);
    },
  );
});

describe("exchange: the API's own token exchange, once per user", () => {
  const exchangeSetup = () =>
    start({
      backend: { issuer: API_ISSUER, audience: API_AUDIENCE },
      backendAuth: () => ({ mode: 'exchange', audience: API_AUDIENCE }),
      // Client tokens are the API's own, with its issuer and audience: it checks them again.
      auth: (jwtSecret) => ({
        mode: 'jwt',
        jwtSecret,
        issuer: API_ISSUER,
        audience: API_AUDIENCE,
        tenantClaim: 'tenant_id',
      }),
    });
  const clientTokenFor = (setup: Setup, sub: string) =>
    mint(setup.jwtSecret, { sub, issuer: API_ISSUER, audience: API_AUDIENCE });

  it("sends the caller's token to /auth/token-exchange only, and the backend token elsewhere", async () => {
    const setup = await exchangeSetup();
    const clientToken = await clientTokenFor(setup, 'carol');
    const client = await connect(setup.url, clientToken, '2025');

    // Concurrent first calls share one exchange, and later ones use its cached token.
    const first = await Promise.all(
      Array.from({ length: 4 }, () => callTool(client, 'list_notes', { limit: 1 })),
    );
    first.forEach((result) => structuredOf(result));
    await useNotes(setup.url, clientToken);

    const exchanges = setup.front.requests.filter((request) => request.path === EXCHANGE_PATH);
    expect(exchanges).toHaveLength(1);
    expect(bearerOf(exchanges[0]!)).toBe(clientToken);
    expect(exchanges[0]!.body).toEqual({
      audience: API_AUDIENCE,
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    });
    const others = setup.front.requests.filter((request) => request.path !== EXCHANGE_PATH);
    expectNowhere(setup.front, clientToken, others);
    const backendTokens = new Set(others.map(bearerOf));
    expect(backendTokens.size).toBe(1);
    const [token] = [...backendTokens];
    const { payload } = await jwtVerify(token!, new TextEncoder().encode(setup.jwtSecret));
    expect(payload).toMatchObject({
      sub: 'carol',
      iss: 'toolbridge-api',
      aud: API_AUDIENCE,
      token_type: 'backend',
      exchanged_from: 'mcp_oauth',
    });
    expectNotLogged(setup, [clientToken, token!, setup.jwtSecret, setup.tenantHeaderSecret]);
  });

  it('turns a refused exchange into a clear isError, logged without a token; the next call exchanges again', async () => {
    const setup = await exchangeSetup();
    setup.front.arm({
      method: 'POST',
      path: EXCHANGE_PATH,
      times: 1,
      action: { kind: 'respond', status: 401, body: { error: 'invalid or missing token' } },
    });
    const clientToken = await clientTokenFor(setup, 'dave');
    const client = await connect(setup.url, clientToken, '2025');

    const failed = await callTool(client, 'list_notes', { limit: 1 });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toBe(
      "Error calling tool 'list_notes': Could not get a backend token from the ToolBridge API (POST /auth/token-exchange): ToolBridge API answered 401 Unauthorized: invalid or missing token",
    );
    // Nothing went to a data route with the caller's token instead.
    expect(setup.front.requests.map((request) => request.path)).toEqual([EXCHANGE_PATH]);
    const line = setup.log.records().find((record) => record['msg'] === 'tool call failed');
    expect(line).toMatchObject({ code: 'BACKEND_TOKEN_FAILED', tool: 'list_notes' });

    structuredOf(await callTool(client, 'list_notes', { limit: 1 }));
    expect(setup.front.requests.filter((r) => r.path === EXCHANGE_PATH)).toHaveLength(2);
    expectNotLogged(setup, [clientToken, setup.jwtSecret]);
  });
});

describe('npm start with the embedded API', () => {
  it.each(['mint', 'exchange'])(
    'TOOLBRIDGE_BACKEND_AUTH=%s serves tool calls with its dev token',
    async (mode) => {
      const cwd = mkdtempSync(join(tmpdir(), 'toolbridge-backend-auth-'));
      const cli = startCli(
        [],
        { TOOLBRIDGE_HOST: '127.0.0.1', TOOLBRIDGE_PORT: '0', TOOLBRIDGE_BACKEND_AUTH: mode },
        cwd,
      );
      onCleanup(async () => {
        cli.child.kill('SIGTERM');
        await cli.exited;
        rmSync(cwd, { recursive: true, force: true });
      });
      const banner = await new Promise<string>((resolve, reject) => {
        const check = () => {
          if (/^ {2}Bearer \S+$/m.test(cli.stdout())) resolve(cli.stdout());
        };
        cli.child.stdout.on('data', check);
        void cli.exited.then((code) => {
          reject(new Error(`exited with ${String(code)}`));
        });
        check();
      });
      const url = /Streamable HTTP: (\S+)/.exec(banner)?.[1] ?? '';
      const token = /^ {2}Bearer (\S+)$/m.exec(banner)?.[1] ?? '';
      const client = await connect(url.replace(/\/mcp$/, ''), token, '2025');
      structuredOf(await callTool(client, 'list_notes', { limit: 1 }));
    },
  );
});
