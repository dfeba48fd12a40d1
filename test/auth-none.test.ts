import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/loopback.ts';
import { stackToken, startStack } from './helpers/stack.ts';

/**
 * TOOLBRIDGE_AUTH=none, as the Python staging deployment ran: clients send no token and every
 * call acts as the shared TOOLBRIDGE_JWT_TOKEN user (CONTRACT.md C.7).
 */
async function gatewayWith(sharedToken: string | undefined) {
  const { gateway } = await startStack({
    auth: { mode: 'none', tenantClaim: 'tenant_id' },
    pinnedTenant: 'staging-tenant-001',
    sharedToken,
  });
  const client = new Client({ name: 'no-token', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
  onCleanup(() => client.close());
  return client;
}

describe('TOOLBRIDGE_AUTH=none', () => {
  it('serves a client without a token as the shared TOOLBRIDGE_JWT_TOKEN user', async () => {
    const shared = await stackToken({ sub: 'service-account@clients' });
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

  it('without any token, health_check still answers, as in Python', async () => {
    const client = await gatewayWith(undefined);
    const result = await client.callTool({ name: 'health_check', arguments: {} });
    expect(result.isError).toBe(false);
    expect(result.structuredContent).toMatchObject({
      status: 'healthy',
      tenant_id: 'staging-tenant-001',
    });
  });

  it('without any token, bad arguments are reported before the missing token', async () => {
    const client = await gatewayWith(undefined);
    const result = await client.callTool({ name: 'list_notes', arguments: { limit: 0 } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('limit: must be at least 1 (got 0)');
    expect(JSON.stringify(result.content)).not.toContain('Missing Authorization');
  });
});
