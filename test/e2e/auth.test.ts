/**
 * Client authentication at the HTTP edge: every refused request is answered before any MCP work
 * and never reaches the ToolBridge API.
 */
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../src/log.ts';
import { listen } from '../helpers/loopback.ts';
import { recordOutput } from '../helpers/secret-ledger.ts';
import {
  closedPortUrl,
  MCP_HEADERS,
  TENANT,
  callTool,
  connectWith,
  initializeBody,
  mint,
  probeSse,
  randomSecret,
  rawRequest,
  startStack,
  type Stack,
} from './stack.ts';

const ISSUER = 'https://issuer.example/';
const AUDIENCE = 'toolbridge-mcp';

/** `plain`: HS256 secret only. `strict`: also issuer, audience and a pinned tenant. */
type Config = 'plain' | 'strict';

const startConfigured = (config: Config): Promise<Stack> =>
  config === 'plain'
    ? startStack()
    : startStack({ issuer: ISSUER, audience: AUDIENCE, pinnedTenant: TENANT });

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A token with this protected header and a plausible payload, not validly signed. */
const withHeader = (header: Record<string, unknown>): string =>
  [header, { sub: 'user-1', tenant_id: TENANT, exp: nowSeconds() + 3600 }, 'signature']
    .map((part) =>
      Buffer.from(typeof part === 'string' ? part : JSON.stringify(part)).toString('base64url'),
    )
    .join('.');

interface Case {
  readonly name: string;
  readonly config: Config;
  /** The Authorization header to send; undefined sends none. */
  readonly authorization: (stack: Stack) => Promise<string | undefined>;
  readonly status: 401 | 403;
}

const CASES: readonly Case[] = [
  {
    name: 'no Authorization header',
    config: 'plain',
    authorization: () => Promise.resolve(undefined),
    status: 401,
  },
  {
    name: 'Basic credentials',
    config: 'plain',
    authorization: () => Promise.resolve(`Basic ${Buffer.from('user:pass').toString('base64')}`),
    status: 401,
  },
  {
    name: 'Bearer with garbage',
    config: 'plain',
    authorization: () => Promise.resolve('Bearer not.a-jwt'),
    status: 401,
  },
  {
    name: 'Bearer with nothing',
    config: 'plain',
    authorization: () => Promise.resolve('Bearer'),
    status: 401,
  },
  {
    name: 'alg none',
    config: 'plain',
    authorization: () =>
      Promise.resolve(
        `Bearer ${new UnsecuredJWT({ tenant_id: TENANT }).setSubject('user-1').setIssuedAt().setExpirationTime('1h').encode()}`,
      ),
    status: 401,
  },
  {
    // The algorithm name is the caller's text, and it used to be echoed into WWW-Authenticate,
    // where Node refuses control characters: a 500 instead of a 401.
    name: 'an alg with control characters',
    config: 'plain',
    authorization: () => Promise.resolve(`Bearer ${withHeader({ alg: 'HS\r\n256' })}`),
    status: 401,
  },
  {
    name: 'an alg outside Latin-1',
    config: 'plain',
    authorization: () => Promise.resolve(`Bearer ${withHeader({ alg: 'HS256\u{1F600}' })}`),
    status: 401,
  },
  {
    name: 'signed with another key',
    config: 'plain',
    authorization: async (stack) =>
      `Bearer ${await mint(stack.jwtSecret, { secret: randomSecret('other') })}`,
    status: 401,
  },
  {
    name: 'expired',
    config: 'plain',
    authorization: async (stack) =>
      `Bearer ${await mint(stack.jwtSecret, { expiresIn: nowSeconds() - 3600 })}`,
    status: 401,
  },
  {
    name: 'wrong issuer',
    config: 'strict',
    authorization: async (stack) =>
      `Bearer ${await stack.token({ issuer: 'https://evil.example/' })}`,
    status: 401,
  },
  {
    name: 'wrong audience',
    config: 'strict',
    authorization: async (stack) => `Bearer ${await stack.token({ audience: 'someone-else' })}`,
    status: 401,
  },
  {
    name: 'no issuer or audience where both are required',
    config: 'strict',
    authorization: async (stack) => `Bearer ${await mint(stack.jwtSecret)}`,
    status: 401,
  },
  {
    name: 'no tenant claim and no pinned tenant',
    config: 'plain',
    authorization: async (stack) => `Bearer ${await stack.token({ tenant: null })}`,
    status: 403,
  },
  {
    name: 'no sub claim',
    config: 'plain',
    authorization: async (stack) =>
      `Bearer ${await new SignJWT({ tenant_id: TENANT })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(stack.jwtSecret))}`,
    status: 401,
  },
  {
    name: 'another tenant than the pinned one',
    config: 'strict',
    authorization: async (stack) => `Bearer ${await stack.token({ tenant: 'tenant-other' })}`,
    status: 403,
  },
  // A tenant claim that is not a non-empty string is refused, not read as "no claim" and then
  // signed upstream as the pinned tenant.
  ...[['tenant-other'], 2, { id: 'tenant-other' }, '', null, [TENANT]].map((claimed): Case => ({
    name: `a tenant claim of ${JSON.stringify(claimed)} under a pinned tenant`,
    config: 'strict',
    authorization: async (stack) =>
      `Bearer ${await stack.token({ tenant: null, claims: { tenant_id: claimed } })}`,
    status: 403,
  })),
];

const RESOURCE_METADATA =
  /^Bearer (?:.+, )?resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/;

const headersWith = (authorization: string | undefined): Record<string, string> =>
  authorization === undefined ? {} : { Authorization: authorization };

describe('refused credentials', () => {
  it.each(CASES)('$name → $status on POST /mcp and GET /sse, nothing upstream', async (c) => {
    const stack = await startConfigured(c.config);
    const authorization = await c.authorization(stack);
    const { url } = stack.gateway;

    const mcp = await rawRequest(`${url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...headersWith(authorization) },
      body: initializeBody(),
    });
    const sse = await probeSse(`${url}/sse`, headersWith(authorization));
    for (const reply of [mcp, sse]) {
      expect(reply.status).toBe(c.status);
      if (c.status === 401) {
        expect(reply.headers.get('www-authenticate')).toMatch(RESOURCE_METADATA);
      }
      expect(z.object({ error: z.string() }).safeParse(reply.json).success).toBe(true);
      // The refusal never echoes the credential.
      const credential = authorization?.split(' ')[1];
      if (credential !== undefined) expect(reply.text).not.toContain(credential);
    }
    expect(stack.gateway.sessions.count()).toBe(0);
    expect(stack.front.requests).toEqual([]);
  });

  it.each<Config>(['plain', 'strict'])('%s: a good token is accepted (control)', async (config) => {
    const stack = await startConfigured(config);
    const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${await stack.token()}` },
      body: initializeBody(),
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('mcp-session-id')).toBeTruthy();
    expect(stack.front.requests).toEqual([]);
  });
});

const Metadata = z.object({
  resource: z.string(),
  bearer_methods_supported: z.array(z.string()),
  authorization_servers: z.array(z.string()).optional(),
});

describe('RFC 9728 protected-resource metadata', () => {
  it.each<Config>(['plain', 'strict'])('%s: served without auth at both paths', async (config) => {
    const stack = await startConfigured(config);
    const { url } = stack.gateway;
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const reply = await rawRequest(`${url}${path}`, { method: 'GET' });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      const metadata = Metadata.parse(reply.json);
      expect(metadata.resource).toBe(`${url}/mcp`);
      expect(metadata.bearer_methods_supported).toEqual(['header']);
      // An HS256 secret is the Go API's: no authorization server a client could get tokens
      // from, so none is listed (the issuer is, once a JWKS verifies its tokens: oauth.test.ts).
      expect(metadata.authorization_servers).toBeUndefined();
    }
    expect(stack.front.requests).toEqual([]);
  });
});

describe('accepted scheme spellings', () => {
  // RFC 7235 §2.1: the auth-scheme is case-insensitive, so the gateway accepts these. The
  // ToolBridge API only takes the exact "Bearer <token>" (CONTRACT.md B.2), so whatever the
  // gateway accepts it must forward in that form, or every tool call fails upstream with 401.
  it.each([
    { name: 'lower-case scheme', spell: (token: string) => `bearer ${token}` },
    { name: 'upper-case scheme', spell: (token: string) => `BEARER ${token}` },
    { name: 'two spaces', spell: (token: string) => `Bearer  ${token}` },
  ])('$name: the tool call works and the API gets "Bearer <token>"', async ({ spell }) => {
    const stack = await startStack();
    const token = await stack.token();
    const client = await connectWith(stack.gateway.url, spell(token), '2025');
    const result = await callTool(client, 'list_notes', {});
    expect(result.isError, JSON.stringify(result.content)).toBe(false);
    expect(stack.front.requests.length).toBeGreaterThan(0);
    for (const request of stack.front.requests) {
      expect(request.headers['authorization']).toBe(`Bearer ${token}`);
    }
  });
});

describe('the JWKS endpoint fails', () => {
  const rs256Token = async () => {
    const { privateKey } = await generateKeyPair('RS256');
    return new SignJWT({ tenant_id: TENANT })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('user-1')
      .setExpirationTime('1h')
      .sign(privateKey);
  };

  const jwksAnswering = async (status: number, body: string): Promise<string> => {
    const server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    return `${await listen(server)}/jwks`;
  };

  it.each([
    { name: 'closed port', url: async () => `${await closedPortUrl()}/jwks` },
    { name: '500', url: () => jwksAnswering(500, '{"error":"down"}') },
    { name: 'not JSON', url: () => jwksAnswering(200, '<html>') },
    { name: 'not a key set', url: () => jwksAnswering(200, '{"keys":"none"}') },
  ])(
    '$name: 503 with Retry-After and no invalid_token, one warning, nothing upstream',
    async ({ url }) => {
      const lines: string[] = [];
      recordOutput('gateway log (JWKS failure)', () => lines.join(''));
      const logger = createLogger({
        level: 'warn',
        destination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      });
      const stack = await startStack({ jwksUrl: await url(), logger });
      const token = await rs256Token();
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
          method: 'POST',
          headers: { ...MCP_HEADERS, Authorization: `Bearer ${token}` },
          body: initializeBody(),
        });
        expect(reply.status).toBe(503);
        expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(reply.headers.get('www-authenticate')).toBeNull();
        expect(reply.json).toMatchObject({ error: 'temporarily_unavailable' });
        expect(reply.text).not.toContain(token);
      }
      // Two refusals, one warning: an outage fails every request that needs the key set.
      const warnings = lines.filter((line) => line.includes('client tokens cannot be verified'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).not.toContain(token);
      expect(stack.front.requests).toEqual([]);

      // HS256 tokens do not need the key set and still work.
      const hs256 = await rawRequest(`${stack.gateway.url}/mcp`, {
        method: 'POST',
        headers: { ...MCP_HEADERS, Authorization: `Bearer ${await stack.token()}` },
        body: initializeBody(),
      });
      expect(hs256.status).toBe(200);
    },
  );
});
