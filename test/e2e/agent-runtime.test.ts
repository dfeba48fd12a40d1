/**
 * An agent runtime calling on behalf of its users (issue 18 §3), over real sockets: one MCP
 * session opened with a service key carries calls for many users, each naming its user in the
 * identity header; the gateway mints a backend token per user (TOOLBRIDGE_BACKEND_AUTH=mint).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type JWTVerifyGetKey } from 'jose';
import { describe, expect, it } from 'vitest';
import type { ScopeSettings } from '../../src/auth/scopes.ts';
import { newServiceKey } from '../../src/auth/service-keys.ts';
import { startGateway } from '../../src/gateway.ts';
import { capturingLogger } from '../helpers/log-capture.ts';
import { onCleanup } from '../helpers/loopback.ts';
import {
  ItemList,
  MCP_HEADERS,
  TENANT,
  callTool,
  initializeBody,
  mint,
  randomSecret,
  rawRequest,
  startFront,
  structuredOf,
  textOf,
} from './stack.ts';

const HEADER = 'x-toolbridge-user';
const USERS = 100;

interface StartOptions {
  readonly scopes?: ScopeSettings;
  readonly keyScopes?: string[];
  /** The gateway's key set, with the issuer and audience its tokens must carry. */
  readonly jwks?: { keys: JWTVerifyGetKey; issuer: string; audience: string };
}

async function start(options: StartOptions = {}) {
  const jwtSecret = randomSecret('go-jwt');
  const tenantHeaderSecret = randomSecret('tenant');
  const identitySecret = randomSecret('identity');
  const front = await startFront({ jwtSecret, tenantHeaderSecret });
  const runtime = newServiceKey({
    id: 'runtime-e2e',
    scopes: options.keyScopes ?? [],
    tenants: [TENANT],
  });
  const log = capturingLogger('info');
  const gateway = await startGateway(
    {
      goApiBaseUrl: front.url,
      tenantHeaderSecret,
      auth: {
        mode: 'jwt',
        jwtSecret,
        tenantClaim: 'tenant_id',
        ...(options.jwks === undefined
          ? {}
          : { issuer: options.jwks.issuer, audience: options.jwks.audience }),
      },
      backendAuth: { mode: 'mint', secret: jwtSecret },
      scopes: options.scopes,
      backChannel: {
        serviceKeys: [runtime.entry],
        identityHeader: HEADER,
        identitySecret,
        identityMaxTtlSeconds: 300,
      },
      host: '127.0.0.1',
      port: 0,
      allowedOrigins: [],
      toolTimeoutMs: 5_000,
      sessionIdleSeconds: 600,
      maxSessions: 100,
    },
    log.logger,
    options.jwks === undefined ? {} : { jwks: options.jwks.keys },
  );
  onCleanup(() => gateway.close());
  const identity = (
    sub: string,
    options: { tenant?: string; ttlSeconds?: number; secret?: string; ageSeconds?: number } = {},
  ) => {
    const iat = Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0);
    return new SignJWT({ tenant_id: options.tenant ?? TENANT })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (options.ttlSeconds ?? 120))
      .sign(new TextEncoder().encode(options.secret ?? identitySecret));
  };
  return { front, gateway, key: runtime.key, identitySecret, jwtSecret, log, identity };
}

type Setup = Awaited<ReturnType<typeof start>>;

/** One session, opened with the key; each request carries whatever identity `current` holds. */
async function runtimeClient(setup: Setup, current: { token: string }): Promise<Client> {
  const client = new Client({ name: 'runtime', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${setup.gateway.url}/mcp`), {
    fetch: (url, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${setup.key}`);
      headers.set(HEADER, current.token);
      return fetch(url, { ...init, headers });
    },
  });
  await client.connect(transport);
  onCleanup(async () => {
    await client.close().catch(() => undefined);
  });
  return client;
}

describe('agent runtime: one session, many users', () => {
  it(`carries ${USERS} users' calls, each sees only its own notes`, async () => {
    const setup = await start();
    const current = { token: await setup.identity('user-0') };
    const client = await runtimeClient(setup, current);
    const uids = new Map<string, string>();
    for (let n = 0; n < USERS; n += 1) {
      const user = `user-${n}`;
      current.token = await setup.identity(user);
      const created = structuredOf(
        await callTool(client, 'create_note', { title: `note of ${user}`, content: user }),
      );
      expect(typeof created['uid']).toBe('string');
      uids.set(user, String(created['uid']));
    }
    for (let n = 0; n < USERS; n += 1) {
      const user = `user-${n}`;
      current.token = await setup.identity(user);
      const listed = ItemList.parse(structuredOf(await callTool(client, 'list_notes', {})));
      expect(listed.items.map((item) => item.uid)).toEqual([uids.get(user)]);
      expect(listed.items[0]?.payload['title']).toBe(`note of ${user}`);
    }
    // Another user cannot read user-0's note, in the same session.
    current.token = await setup.identity('user-1');
    const foreign = await callTool(client, 'get_note', { uid: uids.get('user-0') });
    expect(foreign.isError).toBe(true);
    expect(textOf(foreign)).not.toContain('note of user-0');

    // The audit line names the runtime's key; no log line holds the key, a token or a secret.
    const audit = setup.log
      .records()
      .filter((record) => record['msg'] === 'tool call' || record['msg'] === 'tool call failed');
    expect(audit.length).toBeGreaterThanOrEqual(2 * USERS + 1);
    expect(audit.every((record) => record['serviceKeyId'] === 'runtime-e2e')).toBe(true);
    expect(new Set(audit.map((record) => record['subject'])).size).toBe(USERS);
    const text = setup.log.text();
    for (const secret of [setup.key, current.token, setup.identitySecret, setup.jwtSecret]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe("agent runtime: the key's session is the key's", () => {
  it("refuses the session to the user's own client token, and a key session to others", async () => {
    const setup = await start();
    const client = await runtimeClient(setup, { token: await setup.identity('alice') });
    structuredOf(await callTool(client, 'list_notes', {}));
    const sessionId = client.transport?.sessionId;
    expect(typeof sessionId).toBe('string');
    const aliceToken = await mint(setup.jwtSecret, { sub: 'alice' });
    const answer = await rawRequest(`${setup.gateway.url}/mcp`, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        authorization: `Bearer ${aliceToken}`,
        'mcp-session-id': String(sessionId),
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(answer.status).toBe(404);
  });
});

describe('agent runtime: identities signed by a key of the JWKS', () => {
  it('verifies them with the key set client tokens use, and refuses a foreign key', async () => {
    const issuer = 'https://platform.example';
    const audience = 'toolbridge-e2e';
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'platform-1', alg: 'ES256' };
    const setup = await start({
      jwks: { keys: createLocalJWKSet({ keys: [jwk] }), issuer, audience },
    });
    const signed = (sub: string, kid: string) =>
      new SignJWT({ tenant_id: TENANT })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(privateKey);
    const current = { token: await signed('carol', 'platform-1') };
    const client = await runtimeClient(setup, current);
    const created = structuredOf(
      await callTool(client, 'create_note', { title: 'of carol', content: 'c' }),
    );
    expect(typeof created['uid']).toBe('string');
    const before = setup.front.requests.length;
    current.token = await signed('carol', 'unknown-kid');
    await expect(callTool(client, 'list_notes', {})).rejects.toThrow(
      /invalid_identity.*signature does not verify/,
    );
    expect(setup.front.requests).toHaveLength(before);
  });
});

describe("agent runtime: the key's scopes stand for a token's", () => {
  it('lets a key with the read scope list notes and refuses it a write', async () => {
    const setup = await start({
      scopes: { read: 'notes:read', write: 'notes:write' },
      keyScopes: ['notes:read'],
    });
    const client = await runtimeClient(setup, { token: await setup.identity('reader') });
    const listed = ItemList.parse(structuredOf(await callTool(client, 'list_notes', {})));
    expect(listed.items).toEqual([]);
    const before = setup.front.dataRequests().length;
    const refused = await callTool(client, 'create_note', { title: 't', content: 'c' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('notes:write');
    expect(setup.front.dataRequests()).toHaveLength(before);
  });
});

describe('agent runtime: refused identities reach no backend', () => {
  const post = (setup: Setup, headers: Record<string, string>) =>
    rawRequest(`${setup.gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...headers },
      body: initializeBody(),
    });

  it('answers every bad identity with 401 or 403, never invalid_token for a good key', async () => {
    const setup = await start();
    const withKey = (identity: string | undefined) => ({
      authorization: `Bearer ${setup.key}`,
      ...(identity === undefined ? {} : { [HEADER]: identity }),
    });
    const cases: [string, Record<string, string>, number, string][] = [
      ['missing', withKey(undefined), 401, 'invalid_identity'],
      [
        'bad signature',
        withKey(await setup.identity('u', { secret: randomSecret('other') })),
        401,
        'invalid_identity',
      ],
      [
        'expired',
        withKey(await setup.identity('u', { ageSeconds: 600, ttlSeconds: 120 })),
        401,
        'invalid_identity',
      ],
      [
        'a one-day lifetime',
        withKey(await setup.identity('u', { ttlSeconds: 86_400 })),
        401,
        'invalid_identity',
      ],
      [
        'a tenant outside the key',
        withKey(await setup.identity('u', { tenant: 'tenant-other' })),
        403,
        'forbidden',
      ],
    ];
    for (const [name, headers, status, error] of cases) {
      const answer = await post(setup, headers);
      expect([name, answer.status]).toEqual([name, status]);
      expect([name, answer.json]).toMatchObject([name, { error }]);
      expect([name, answer.headers.get('www-authenticate') ?? '']).not.toEqual([
        name,
        expect.stringContaining('invalid_token'),
      ]);
      if (error === 'invalid_identity') {
        expect([name, JSON.stringify(answer.json)]).toEqual([
          name,
          expect.stringContaining(HEADER),
        ]);
      }
    }

    const unknown = await post(setup, {
      authorization: `Bearer tbk_${'0'.repeat(64)}`,
      [HEADER]: await setup.identity('u'),
    });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('invalid_token');

    // Runtimes use /mcp: the legacy SSE pair would run a relayed call as the stream's opener.
    const sse = await rawRequest(`${setup.gateway.url}/sse`, {
      headers: withKey(await setup.identity('u')),
    });
    expect(sse.status).toBe(400);
    expect(JSON.stringify(sse.json)).toContain('/mcp');
    const message = await rawRequest(`${setup.gateway.url}/messages/?session_id=abc`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...withKey(await setup.identity('u')) },
      body: initializeBody(),
    });
    expect(message.status).toBe(400);
    expect(JSON.stringify(message.json)).toContain('/mcp');

    expect(setup.front.requests).toEqual([]);
  });

  it('logs a signature drift once and counts every refusal in /metrics', async () => {
    const setup = await start();
    const wrong = await setup.identity('u', { secret: randomSecret('drifted') });
    for (let n = 0; n < 3; n += 1) {
      const answer = await post(setup, { authorization: `Bearer ${setup.key}`, [HEADER]: wrong });
      expect(answer.status).toBe(401);
    }
    const drift = setup.log
      .records()
      .filter((record) => String(record['msg']).includes('fail signature verification'));
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ via: 'secret', failures: 1 });
    const metrics = await rawRequest(`${setup.gateway.url}/metrics`, {});
    expect(metrics.text).toMatch(/toolbridge_identity_failures_total\{reason="signature"\} 3/);
    expect(setup.log.text()).not.toContain(setup.key);
    expect(setup.log.text()).not.toContain(wrong);
    expect(setup.front.requests).toEqual([]);
  });
});
