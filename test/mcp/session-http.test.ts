/**
 * The 2025-era session checks (src/mcp/session-http.ts) against the SDK's own session transport:
 * every refusal must have the same status and JSON-RPC error as WebStandardStreamableHTTPServerTransport
 * gives for the same request, so an SDK release that changes one fails here.
 */
import { Server, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sendRaw, startApp } from '../helpers/direct-apps.ts';
import { stackToken } from '../helpers/stack.ts';

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};
const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'r', version: '1' },
  },
};
const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };

interface Case {
  name: string;
  method?: 'POST' | 'GET' | 'DELETE';
  headers?: Record<string, string>;
  body?: unknown;
}

const cases: Case[] = [
  { name: 'Accept without event streams', headers: { accept: 'application/json' }, body: list },
  { name: 'Accept without JSON', headers: { accept: 'text/event-stream' }, body: list },
  { name: 'no Accept', headers: { accept: '' }, body: list },
  { name: 'a text body', headers: { 'content-type': 'text/plain' }, body: list },
  { name: 'no Content-Type', headers: { 'content-type': '' }, body: list },
  { name: 'a batch over 100', body: Array.from({ length: 101 }, (_, i) => ({ ...list, id: i })) },
  { name: 'not JSON-RPC 2.0', body: { ...list, jsonrpc: '1.0' } },
  { name: 'a batch with a bad element', body: [list, { nonsense: true }] },
  { name: 'an unsupported version', headers: { 'mcp-protocol-version': '1999-01-01' }, body: list },
  { name: 'initialize again', body: initialize },
  { name: 'initialize in a batch', body: [initialize, list] },
  { name: 'GET without event streams', method: 'GET', headers: { accept: 'application/json' } },
  {
    name: 'GET, unsupported version',
    method: 'GET',
    headers: { accept: 'text/event-stream', 'mcp-protocol-version': 'x' },
  },
  {
    name: 'DELETE, unsupported version',
    method: 'DELETE',
    headers: { 'mcp-protocol-version': 'x' },
  },
];

const Refused = z.object({
  jsonrpc: z.literal('2.0'),
  error: z.object({ code: z.number(), message: z.string() }),
  id: z.null(),
});

/** The SDK's own session transport, initialized, answering web Requests in-process. */
async function sdkSession() {
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => 'sdk-session',
    enableJsonResponse: true,
  });
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  await new Server({ name: 't', version: '1' }, { capabilities: { tools: {} } }).connect(transport);
  const ask = (method: string, headers: Record<string, string>, body?: unknown) =>
    transport.handleRequest(
      new Request('http://127.0.0.1/mcp', {
        method,
        headers: Object.entries(headers).filter(([, v]) => v !== ''),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  expect((await ask('POST', HEADERS, initialize)).status).toBe(200);
  return ask;
}

describe('refusals in a session, against the SDK transport', () => {
  it.each(cases)(
    '$name: same status and error',
    async ({ method = 'POST', headers = {}, body }) => {
      const ask = await sdkSession();
      const expected = await ask(
        method,
        { ...HEADERS, ...headers, 'mcp-session-id': 'sdk-session' },
        body,
      );
      const app = await startApp(false);
      const token = await stackToken({ sub: 'user-1' });
      const opened = await sendRaw(app.url, { token, headers: HEADERS, body: initialize });
      const id = opened.headers['mcp-session-id'] ?? '';
      const seen = await sendRaw(app.url, {
        token,
        method,
        headers: { ...HEADERS, ...headers, 'mcp-session-id': id },
        body,
      });
      expect(seen.status).toBe(expected.status);
      expect(Refused.parse(JSON.parse(seen.text))).toEqual(Refused.parse(await expected.json()));
      expect(seen.headers['content-type']).toBe('application/json');
    },
  );
});
