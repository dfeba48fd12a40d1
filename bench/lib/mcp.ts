/**
 * Hand-built MCP requests over Streamable HTTP, as @modelcontextprotocol/client sends them
 * (captured once, then replayed): the 2025-era session (initialize → notifications/initialized →
 * calls with Mcp-Session-Id; the gateway answers JSON) and the 2026-07-28 stateless envelope
 * (protocol version, client info and capabilities in `_meta` of every request).
 */
import { Pool } from 'undici';
import { exchange } from '../../src/proxy/exchange.ts';

/**
 * A pool to one origin. Calls go through the gateway's own exchange() (undici dispatch with a
 * collecting handler), so the generator's garbage stays young like the gateway's: with
 * undici's request() the generator's own GC pauses reached 10-20 ms, delaying the answers it
 * times on every path.
 */
export interface Endpoint {
  readonly pool: Pool;
  readonly origin: string;
}

export const endpoint = (origin: string, connections: number): Endpoint => ({
  pool: new Pool(origin, { connections, pipelining: 1 }),
  origin,
});

/** Benchmark calls are never cancelled. */
const NEVER = new AbortController().signal;

export const send = (
  to: Endpoint,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: string,
) => exchange(to.pool, { origin: to.origin, path, method, headers, body }, NEVER);

const post = (to: Endpoint, headers: Record<string, string>, body: string) =>
  send(to, 'POST', '/mcp', headers, body);

export const SESSION_PROTOCOL = '2025-11-25';
export const STATELESS_PROTOCOL = '2026-07-28';
const CLIENT_INFO = { name: 'toolbridge-bench', version: '1.0.0' };

/** What a client says about itself at initialize: the params of that request. */
export interface ClientHello {
  readonly protocolVersion: string;
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly capabilities: Readonly<Record<string, unknown>>;
}

/** The load generator's own: as small as a session gets. */
export const BENCH_CLIENT: ClientHello = {
  protocolVersion: SESSION_PROTOCOL,
  clientInfo: CLIENT_INFO,
  capabilities: {},
};

/**
 * Claude Desktop through mcp-remote, the main client in production: mcp-remote forwards the
 * desktop's initialize and appends itself to the client's name. The capabilities are a full
 * set, so a session's record is as large as a real one gets.
 */
export const MCP_REMOTE_CLIENT: ClientHello = {
  protocolVersion: '2025-06-18',
  clientInfo: { name: 'claude-ai (via mcp-remote 0.1.37)', version: '0.1.0' },
  capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} },
};

/**
 * Who a request is from: a client's `Authorization` value, or every header that says it (an agent
 * runtime's service key and the identity of the user a call is for).
 */
export type Credentials = string | Readonly<Record<string, string>>;

const baseHeaders = (credentials: Credentials) => ({
  ...(typeof credentials === 'string' ? { authorization: credentials } : credentials),
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
});

export interface McpSession {
  readonly id: string;
  readonly protocolVersion: string;
}

/** Opens a 2025-era session: initialize, then notifications/initialized. */
export async function openSession(
  to: Endpoint,
  authorization: Credentials,
  client: ClientHello = BENCH_CLIENT,
): Promise<McpSession> {
  const init = await post(
    to,
    baseHeaders(authorization),
    JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: client }),
  );
  const id = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof id !== 'string') {
    throw new Error(`initialize answered ${init.status}: ${init.text.slice(0, 300)}`);
  }
  const version = /"protocolVersion":"([^"]+)"/.exec(init.text)?.[1] ?? client.protocolVersion;
  const ack = await post(
    to,
    { ...baseHeaders(authorization), 'mcp-session-id': id, 'mcp-protocol-version': version },
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  );
  if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}`);
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

/** A tools/call in a session, and the gateway's answer as it came. */
export const callInSessionReply = (
  to: Endpoint,
  authorization: Credentials,
  session: McpSession,
  name: string,
  args: Record<string, unknown>,
) =>
  post(
    to,
    {
      ...baseHeaders(authorization),
      'mcp-session-id': session.id,
      'mcp-protocol-version': session.protocolVersion,
    },
    JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'tools/call',
      params: { name, arguments: args },
    }),
  );

export async function callInSession(
  to: Endpoint,
  authorization: Credentials,
  session: McpSession,
  name: string,
  args: Record<string, unknown>,
): Promise<string | undefined> {
  const reply = await callInSessionReply(to, authorization, session, name, args);
  return toolResult(reply.status, reply.text);
}

/** Creates a note in `session` as the caller `credentials` name; resolves with its uid. */
export async function createNote(
  to: Endpoint,
  credentials: Credentials,
  session: McpSession,
  content: string,
): Promise<string> {
  const reply = await callInSessionReply(to, credentials, session, 'create_note', {
    title: 'bench',
    content,
  });
  const uid = /"uid":"([0-9a-f-]{36})"/.exec(toolResult(reply.status, reply.text) ?? '')?.[1];
  if (uid === undefined)
    throw new Error(`create_note answered ${reply.status}: ${reply.text.slice(0, 300)}`);
  return uid;
}

export async function callStateless(
  to: Endpoint,
  authorization: string,
  name: string,
  args: Record<string, unknown>,
): Promise<string | undefined> {
  const reply = await post(
    to,
    {
      ...baseHeaders(authorization),
      'mcp-protocol-version': STATELESS_PROTOCOL,
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    JSON.stringify({
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
  );
  return toolResult(reply.status, reply.text);
}
