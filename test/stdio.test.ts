import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startBackend } from '../src/backend/index.ts';
import { onCleanup } from './helpers/loopback.ts';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const JWT_SECRET = 'stdio-test-jwt-secret';
const TENANT_SECRET = 'stdio-test-tenant-secret';

describe('toolbridge-mcp --stdio (Claude Desktop configurations)', () => {
  it('serves the tools over stdin/stdout as the TOOLBRIDGE_JWT_TOKEN user, logging to stderr only', async () => {
    const backend = await startBackend({
      port: 0,
      jwtSecret: JWT_SECRET,
      tenantHeaderSecret: TENANT_SECRET,
    });
    onCleanup(() => backend.close());
    const token = await new SignJWT({ sub: 'desktop-user' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JWT_SECRET));

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MAIN, '--stdio'],
      env: {
        PATH: process.env['PATH'] ?? '',
        TOOLBRIDGE_GO_API_BASE_URL: backend.url,
        TOOLBRIDGE_TENANT_ID: 'desktop-tenant',
        TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
        TOOLBRIDGE_JWT_TOKEN: token,
      },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    onCleanup(() => client.close());

    expect((await client.listTools()).tools).toHaveLength(41);
    const created = await client.callTool({
      name: 'create_note',
      arguments: { title: 'From stdio', content: 'x' },
    });
    expect(created.isError).toBe(false);
    expect(created.structuredContent).toMatchObject({
      version: 1,
      deletedAt: null,
      payload: { title: 'From stdio' },
    });
    const health = await client.callTool({ name: 'health_check', arguments: {} });
    expect(health.structuredContent).toEqual({
      status: 'healthy',
      tenant_id: 'desktop-tenant',
      go_api_base_url: backend.url,
    });

    expect(stderr).toContain('"msg":"starting"');
    expect(stderr).not.toContain(token);
    expect(stderr).not.toContain(TENANT_SECRET);
  });
});
