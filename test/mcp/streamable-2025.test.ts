import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stackToken, startStack } from '../helpers/stack.ts';

/** 2025-era Streamable HTTP on the wire, as raw requests: protocol-version check and GET stream. */
async function started() {
  const { gateway } = await startStack();
  const token = await stackToken({ sub: 'raw-user' });
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const init = await fetch(`${gateway.url}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      },
    }),
  });
  expect(init.status).toBe(200);
  expect(init.headers.get('content-type')).toContain('application/json');
  const sessionId = init.headers.get('mcp-session-id') ?? '';
  expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
  return { url: `${gateway.url}/mcp`, headers: { ...headers, 'mcp-session-id': sessionId } };
}

describe('2025-era Streamable HTTP', () => {
  it('answers JSON when the client accepts it, and checks MCP-Protocol-Version', async () => {
    const { url, headers } = await started();
    const list = (version: string) =>
      fetch(url, {
        method: 'POST',
        headers: { ...headers, 'mcp-protocol-version': version },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
    const ok = await list('2025-06-18');
    expect(ok.status).toBe(200);
    const body = z
      .object({
        jsonrpc: z.literal('2.0'),
        id: z.literal(2),
        result: z.object({ tools: z.array(z.unknown()) }),
      })
      .parse(await ok.json());
    expect(body.result.tools).toHaveLength(41);
    const unsupported = await list('1999-01-01');
    expect(unsupported.status).toBe(400);
  });

  it('opens the server-to-client stream on GET with the session id', async () => {
    const { url, headers } = await started();
    const abort = new AbortController();
    const stream = await fetch(url, {
      method: 'GET',
      headers: {
        authorization: headers.authorization,
        accept: 'text/event-stream',
        'mcp-session-id': headers['mcp-session-id'],
      },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    abort.abort();
  });

  it('refuses a request without a session (an empty header counts as none) that is not initialize', async () => {
    const { url, headers } = await started();
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'mcp-session-id': '' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    expect(response.status).toBe(400);
  });
});
