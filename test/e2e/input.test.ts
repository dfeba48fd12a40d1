/** Bad input at each layer: HTTP body, JSON-RPC method, tool arguments. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ERAS,
  MCP_HEADERS,
  callTool,
  connect,
  openRawSse,
  rawRequest,
  startStack,
  structuredOf,
  textOf,
} from './stack.ts';

const RpcError = z.object({
  jsonrpc: z.literal('2.0'),
  error: z.object({ code: z.number(), message: z.string() }),
  id: z.null(),
});

const MiB = 1024 * 1024;

/** A syntactically valid JSON-RPC request of about `bytes` bytes. */
const bigRequest = (bytes: number): string =>
  JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'create_note', arguments: { title: 't', content: 'x'.repeat(bytes) } },
  });

describe('HTTP bodies', () => {
  it.each([
    { name: 'not JSON', body: '{"jsonrpc": "2.0", "id": 1, "method": ' },
    { name: 'plain text', body: 'hello' },
  ])('POST /mcp with a body that is $name → 400 JSON-RPC parse error', async ({ body }) => {
    const stack = await startStack();
    const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${await stack.token()}` },
      body,
    });
    expect(reply.status).toBe(400);
    expect(RpcError.parse(reply.json).error.code).toBe(-32700);
    expect(stack.gateway.sessions.count()).toBe(0);
    expect(stack.front.requests).toEqual([]);
  });

  it('POST /mcp with a body over 1 MiB → 413', async () => {
    const stack = await startStack();
    const reply = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${await stack.token()}` },
      body: bigRequest(MiB + 1024),
    });
    expect(reply.status).toBe(413);
    expect(RpcError.parse(reply.json).error.code).toBe(-32600);
    expect(stack.front.requests).toEqual([]);
  });

  it('a body just under the limit is accepted', async () => {
    const stack = await startStack();
    const token = await stack.token();
    const client = await connect(stack.gateway.url, token, '2025');
    const result = await callTool(client, 'create_note', {
      title: 't',
      content: 'x'.repeat(MiB - 4096),
    });
    expect(result.isError).toBe(false);
  });

  it('POST /messages/ with a body over 1 MiB → 413', async () => {
    const stack = await startStack();
    const token = await stack.token();
    const sse = await openRawSse(stack.gateway.url, token);
    const reply = await rawRequest(`${stack.gateway.url}${sse.endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: bigRequest(MiB + 1024),
    });
    expect(reply.status).toBe(413);
    expect(stack.front.requests).toEqual([]);
  });
});

describe.each(ERAS)('tool calls over %s', (era) => {
  it('an unknown tool is a JSON-RPC error: the SDK client rejects', async () => {
    const stack = await startStack();
    const client = await connect(stack.gateway.url, await stack.token(), era);
    await expect(client.callTool({ name: 'drop_database', arguments: {} })).rejects.toThrow(
      /Unknown tool: drop_database/,
    );
    expect(stack.front.requests).toEqual([]);
  });

  it.each([
    { name: 'limit 0', tool: 'list_notes', args: { limit: 0 }, text: /limit/ },
    { name: 'limit 1001', tool: 'list_notes', args: { limit: 1001 }, text: /limit/ },
    { name: 'limit not a number', tool: 'list_notes', args: { limit: 'many' }, text: /limit/ },
    {
      name: 'an unknown argument',
      tool: 'list_notes',
      args: { limit: 5, sort: 'asc' },
      text: /sort/,
    },
    { name: 'a missing required argument', tool: 'get_note', args: {}, text: /uid/ },
    {
      name: 'tags that are not JSON',
      tool: 'create_note',
      args: { title: 't', content: 'c', tags: '[oops' },
      text: /tags/,
    },
  ])('$name → isError, nothing sent upstream', async ({ tool, args, text }) => {
    const stack = await startStack();
    const client = await connect(stack.gateway.url, await stack.token(), era);
    const result = await callTool(client, tool, args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(text);
    expect(stack.front.dataRequests()).toEqual([]);
    expect(stack.front.requests).toEqual([]);
  });
});

describe('awkward but valid values', () => {
  it('a non-ASCII tenant and subject travel as UTF-8 bytes and verify (trap 8)', async () => {
    const tenant = 'mandant-ü-東京';
    const sub = 'usér-東';
    const stack = await startStack();
    const token = await stack.token({ sub, tenant });
    const client = await connect(stack.gateway.url, token, '2025');
    const result = await callTool(client, 'list_notes', {});
    expect(result.isError).toBe(false);
    const utf8 = (latin1: string | undefined) =>
      Buffer.from(latin1 ?? '', 'latin1').toString('utf8');
    for (const request of stack.front.requests) {
      const wire = request.headers['x-tb-tenant-id'];
      expect(utf8(wire)).toBe(tenant);
      const signature = createHmac('sha256', stack.tenantHeaderSecret)
        .update(Buffer.from(`${tenant}:${request.headers['x-tb-timestamp'] ?? ''}`, 'utf8'))
        .digest('hex');
      expect(request.headers['x-tb-signature']).toBe(signature);
    }
    expect(utf8(stack.front.sessionPosts()[0]!.headers['x-debug-sub'])).toBe(sub);
  });

  it('a uid with "/" and ".." stays one path segment; "." and ".." alone are refused', async () => {
    const stack = await startStack();
    const client = await connect(stack.gateway.url, await stack.token(), '2025');
    const traversal = await callTool(client, 'get_note', { uid: 'x/../../sync/wipe' });
    expect(traversal.isError).toBe(true);
    expect(textOf(traversal)).toContain('400');
    expect(stack.front.dataRequests().map((r) => r.path)).toEqual([
      '/v1/notes/x%2F..%2F..%2Fsync%2Fwipe',
    ]);
    for (const uid of ['..', '.']) {
      const refused = await callTool(client, 'delete_note', { uid });
      expect(refused.isError).toBe(true);
    }
    expect(stack.front.dataRequests()).toHaveLength(1);
  });

  it('a urn:uuid uid reaches the API as it was given, and addresses the note', async () => {
    const stack = await startStack();
    const client = await connect(stack.gateway.url, await stack.token(), '2025');
    const created = await callTool(client, 'create_note', { title: 't', content: 'c' });
    const uid = z.object({ uid: z.string() }).parse(structuredOf(created)).uid;
    const found = await callTool(client, 'get_note', { uid: `urn:uuid:${uid}` });
    expect(found.isError, textOf(found)).toBe(false);
    expect(structuredOf(found)['uid']).toBe(uid);
    expect(stack.front.dataRequests().at(-1)?.path).toBe(`/v1/notes/urn:uuid:${uid}`);
  });

  it('a cursor with reserved characters is percent-encoded as one query value', async () => {
    const stack = await startStack();
    const client = await connect(stack.gateway.url, await stack.token(), '2025');
    await callTool(client, 'list_notes', { cursor: 'a&b=c d#e', limit: '7' });
    expect(stack.front.dataRequests()[0]!.query).toEqual([
      ['limit', '7'],
      ['cursor', 'a&b=c d#e'],
    ]);
  });
});
