import { Writable } from 'node:stream';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../src/log.ts';
import { recordOutput, registerSecret } from '../helpers/secret-ledger.ts';
import { createServerFactory } from '../../src/mcp/server.ts';
import type { ToolRuntime } from '../../src/tools/index.ts';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl';

const OK_ANNOTATIONS = {
  title: 'OK tool',
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

/** A tool table of two tools: one that succeeds and one that fails like an upstream error. */
const tools: ToolRuntime = {
  definitions: [
    {
      name: 'ok_tool',
      description: 'ok',
      inputSchema: { type: 'object' },
      outputSchema: { type: 'object' },
      annotations: OK_ANNOTATIONS,
    },
    {
      name: 'bad_tool',
      description: 'bad',
      inputSchema: { type: 'object' },
      outputSchema: { type: 'object' },
    },
  ],
  has: (name) => name === 'ok_tool' || name === 'bad_tool',
  call: (name) =>
    Promise.resolve(
      name === 'ok_tool'
        ? { content: [{ type: 'text', text: '{}' }], structuredContent: {}, isError: false }
        : {
            content: [
              { type: 'text', text: "Error calling tool 'bad_tool': ToolBridge API answered 500" },
            ],
            isError: true,
            failure: { code: 'UPSTREAM_HTTP_ERROR', status: 500 },
          },
    ),
};

async function connected(level: 'info' | 'warn') {
  const lines: string[] = [];
  registerSecret(TOKEN);
  recordOutput(`server log (${level})`, () => lines.join(''));
  const logger = createLogger({
    level,
    secrets: [TOKEN],
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  const newServer = createServerFactory({
    tools,
    identityFor: (principal) => ({
      authorization: principal.authorization,
      subject: principal.subject,
      tenantId: principal.tenantId,
    }),
    fallbackPrincipal: {
      subject: 'user-1',
      tenantId: 'tenant-1',
      authorization: `Bearer ${TOKEN}`,
    },
    logger,
    version: '0.0.0-test',
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await newServer('stdio').connect(serverSide);
  const client = new Client({ name: 'in-memory', version: '1.0.0' });
  await client.connect(clientSide);
  return { client, lines };
}

describe('tools/list', () => {
  it('advertises annotations where a tool has them, and none where it has not', async () => {
    const { client } = await connected('warn');
    const { tools: listed } = await client.listTools();
    expect(listed.map((tool) => [tool.name, tool.annotations])).toEqual([
      ['ok_tool', OK_ANNOTATIONS],
      ['bad_tool', undefined],
    ]);
    await client.close();
  });
});

describe('tool-call logging', () => {
  it('logs one line per call with tool, tenant, subject, correlation id and duration, never the token', async () => {
    const { client, lines } = await connected('info');
    await client.callTool({ name: 'ok_tool', arguments: {} });
    await client.callTool({ name: 'bad_tool', arguments: {} });
    const records = lines.map((line): unknown => JSON.parse(line));
    const Line = z.object({
      level: z.string(),
      msg: z.string(),
      tool: z.string(),
      tenant: z.string(),
      subject: z.string(),
      correlationId: z.uuid(),
      ms: z.number(),
      error: z.string().optional(),
      code: z.string().optional(),
      status: z.number().optional(),
    });
    const [ok, bad] = records.map((record) => Line.parse(record));
    expect(records).toHaveLength(2);
    expect(ok).toMatchObject({
      level: 'info',
      msg: 'tool call',
      tool: 'ok_tool',
      tenant: 'tenant-1',
      subject: 'user-1',
    });
    expect(bad).toMatchObject({
      level: 'warn',
      msg: 'tool call failed',
      tool: 'bad_tool',
      code: 'UPSTREAM_HTTP_ERROR',
      status: 500,
    });
    expect(bad?.error).toContain('500');
    expect(lines.join('')).not.toContain(TOKEN);
    await client.close();
  });

  it('writes nothing for successful calls when the level is above info', async () => {
    const { client, lines } = await connected('warn');
    await client.callTool({ name: 'ok_tool', arguments: {} });
    expect(lines).toEqual([]);
    await client.close();
  });

  it('answers an unknown tool with a JSON-RPC invalid-params error', async () => {
    const { client } = await connected('warn');
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(
      /Unknown tool: nope/,
    );
    await client.close();
  });
});
