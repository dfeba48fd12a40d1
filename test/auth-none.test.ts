import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startBackend } from '../src/backend/index.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/log.ts';
import { onCleanup } from './helpers/loopback.ts';

/**
 * TOOLBRIDGE_AUTH=none, as the Python staging deployment ran: clients send no token and every
 * call acts as the shared TOOLBRIDGE_JWT_TOKEN user (CONTRACT.md C.7).
 */
const JWT_SECRET = 'auth-none-jwt-secret';
const TENANT_SECRET = 'auth-none-tenant-secret';

async function gatewayWith(sharedToken: string | undefined) {
  const backend = await startBackend({
    port: 0,
    jwtSecret: JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
  });
  onCleanup(() => backend.close());
  const gateway = await startGateway(
    {
      goApiBaseUrl: backend.url,
      tenantHeaderSecret: TENANT_SECRET,
      auth: { mode: 'none', tenantClaim: 'tenant_id' },
      pinnedTenant: 'staging-tenant-001',
      sharedToken,
      host: '127.0.0.1',
      port: 0,
      allowedOrigins: [],
      toolTimeoutMs: 5000,
      sessionIdleSeconds: 60,
      maxSessions: 10,
    },
    createLogger({ level: 'silent' }),
  );
  onCleanup(() => gateway.close());
  const client = new Client({ name: 'no-token', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
  onCleanup(() => client.close());
  return client;
}

describe('TOOLBRIDGE_AUTH=none', () => {
  it('serves a client without a token as the shared TOOLBRIDGE_JWT_TOKEN user', async () => {
    const shared = await new SignJWT({ sub: 'service-account@clients' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(JWT_SECRET));
    const client = await gatewayWith(shared);
    const created = await client.callTool({
      name: 'create_note',
      arguments: { title: 't', content: 'c' },
    });
    expect(created.isError).toBe(false);
    expect(created.structuredContent).toMatchObject({ version: 1 });
  });

  it("without a shared token, a tool call fails with the Python service's message", async () => {
    const client = await gatewayWith(undefined);
    const result = await client.callTool({ name: 'list_notes', arguments: {} });
    expect(result).toMatchObject({
      isError: true,
      content: [
        {
          type: 'text',
          text: "Error calling tool 'list_notes': Missing Authorization header. MCP client must provide JWT token or configure TOOLBRIDGE_JWT_TOKEN.",
        },
      ],
    });
  });
});
