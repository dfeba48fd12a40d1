/**
 * Hand-built MCP requests over Streamable HTTP, as @modelcontextprotocol/client sends them
 * (captured once, then replayed): the 2025-era session (initialize → notifications/initialized →
 * calls with Mcp-Session-Id; the gateway answers JSON) and the 2026-07-28 stateless envelope
 * (protocol version, client info and capabilities in `_meta` of every request).
 */
import type { Pool } from 'undici';

export const SESSION_PROTOCOL = '2025-11-25';
export const STATELESS_PROTOCOL = '2026-07-28';
const CLIENT_INFO = { name: 'toolbridge-bench', version: '1.0.0' };

const baseHeaders = (authorization: string) => ({
  authorization,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
});

export interface McpSession {
  readonly id: string;
  readonly protocolVersion: string;
}

/** Opens a 2025-era session: initialize, then notifications/initialized. */
export async function openSession(pool: Pool, authorization: string): Promise<McpSession> {
  const init = await pool.request({
    path: '/mcp',
    method: 'POST',
    headers: baseHeaders(authorization),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: SESSION_PROTOCOL, capabilities: {}, clientInfo: CLIENT_INFO },
    }),
  });
  const text = await init.body.text();
  const id = init.headers['mcp-session-id'];
  if (init.statusCode !== 200 || typeof id !== 'string') {
    throw new Error(`initialize answered ${init.statusCode}: ${text.slice(0, 300)}`);
  }
  const version = /"protocolVersion":"([^"]+)"/.exec(text)?.[1] ?? SESSION_PROTOCOL;
  const ack = await pool.request({
    path: '/mcp',
    method: 'POST',
    headers: {
      ...baseHeaders(authorization),
      'mcp-session-id': id,
      'mcp-protocol-version': version,
    },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await ack.body.text();
  if (ack.statusCode !== 202)
    throw new Error(`notifications/initialized answered ${ack.statusCode}`);
  return { id, protocolVersion: version };
}

/** The result of a tools/call answer, or undefined when the call failed in any way. */
export function toolResult(status: number, text: string): string | undefined {
  if (status !== 200 || !text.includes('"result"') || text.includes('"isError":true')) {
    return undefined;
  }
  return text;
}

let nextId = 1;

export async function callInSession(
  pool: Pool,
  authorization: string,
  session: McpSession,
  name: string,
  args: Record<string, unknown>,
): Promise<string | undefined> {
  const response = await pool.request({
    path: '/mcp',
    method: 'POST',
    headers: {
      ...baseHeaders(authorization),
      'mcp-session-id': session.id,
      'mcp-protocol-version': session.protocolVersion,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'tools/call',
      params: { name, arguments: args },
    }),
  });
  return toolResult(response.statusCode, await response.body.text());
}

export async function callStateless(
  pool: Pool,
  authorization: string,
  name: string,
  args: Record<string, unknown>,
): Promise<string | undefined> {
  const response = await pool.request({
    path: '/mcp',
    method: 'POST',
    headers: {
      ...baseHeaders(authorization),
      'mcp-protocol-version': STATELESS_PROTOCOL,
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({
      method: 'tools/call',
      params: {
        name,
        arguments: args,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': STATELESS_PROTOCOL,
          'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
      jsonrpc: '2.0',
      id: nextId++,
    }),
  });
  return toolResult(response.statusCode, await response.body.text());
}
