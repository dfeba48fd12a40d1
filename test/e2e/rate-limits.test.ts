/**
 * TOOLBRIDGE_RATE_LIMITS and the audit line, over real sockets: a burst over one subject's limit
 * is refused in MCP while other subjects go on; requests refused for bad auth never count
 * against the subject they name; the edge answers 429 for `request` rules; and the audit line
 * of every call says who, how and which request, never a token. The gateway's clock is frozen,
 * so buckets refill only when a test says so and the retry times are exact.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { capturingLogger } from '../helpers/log-capture.ts';
import {
  ERAS,
  MCP_HEADERS,
  TENANT,
  callTool,
  connect,
  initializeBody,
  rawRequest,
  startStack,
  textOf,
  type Era,
  type Stack,
} from './stack.ts';

// Frozen at the real time: the API checks X-TB-Timestamp against its own clock.
const NOW = Date.now();
const frozen = () => NOW;

const SESSION_KIND: Record<Era, string> = { '2025': 'streamable', '2026': 'stateless', sse: 'sse' };

const AuditLine = z.object({
  msg: z.enum(['tool call', 'tool call failed']),
  tool: z.string(),
  outcome: z.string(),
  tenant: z.string(),
  subject: z.string(),
  sessionKind: z.string(),
  correlationId: z.string().min(1),
  ms: z.number(),
  code: z.string().optional(),
});
type AuditLine = z.infer<typeof AuditLine>;

const auditLines = (records: Record<string, unknown>[]): AuditLine[] =>
  records
    .filter((r) => r['msg'] === 'tool call' || r['msg'] === 'tool call failed')
    .map((r) => AuditLine.parse(r));

/** A 2026-07-28 tools/call as one raw request (the envelope in `_meta`), with extra headers. */
function statelessCall(
  stack: Stack,
  token: string,
  tool: string,
  headers: Record<string, string> = {},
) {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const args = tool === 'list_notes' ? { limit: 1 } : {};
  return rawRequest(`${stack.gateway.url}/mcp`, {
    method: 'POST',
    headers: {
      ...MCP_HEADERS,
      Authorization: `Bearer ${token}`,
      'MCP-Protocol-Version': '2026-07-28',
      'Mcp-Method': 'tools/call',
      'Mcp-Name': tool,
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: tool, arguments: args, _meta: meta },
    }),
  });
}

const RpcResult = z.object({
  result: z.object({
    isError: z.boolean().optional(),
    content: z.array(z.object({ text: z.string() })),
  }),
});
const RpcError = z.object({ error: z.object({ code: z.number(), message: z.string() }) });

const metricsOf = async (stack: Stack) =>
  (await rawRequest(`${stack.gateway.url}/metrics`, {})).text;

describe('rate limits per subject', () => {
  it.each(ERAS)(
    '%s: a burst over the limit gets isError with the limit and the wait; another subject is unaffected',
    async (era) => {
      const log = capturingLogger('info');
      const stack = await startStack({
        rateLimits: 'subject=1/min burst 3',
        logger: log.logger,
        now: frozen,
      });
      const alice = await connect(stack.gateway.url, await stack.token({ sub: 'alice' }), era);
      const bob = await connect(stack.gateway.url, await stack.token({ sub: 'bob' }), era);

      const burst = [];
      for (let i = 0; i < 5; i += 1) burst.push(await callTool(alice, 'list_notes', { limit: 1 }));
      expect(burst.map((result) => result.isError)).toEqual([false, false, false, true, true]);
      for (const refused of burst.slice(3)) {
        expect(textOf(refused)).toBe(
          "Error calling tool 'list_notes': rate limit subject (1/min burst 3, TOOLBRIDGE_RATE_LIMITS) reached; retry in 60 s",
        );
      }
      for (let i = 0; i < 3; i += 1) {
        expect((await callTool(bob, 'list_notes', { limit: 1 })).isError).toBe(false);
      }
      // Refused calls never reached the API: three of alice's and three of bob's did.
      expect(stack.front.dataRequests()).toHaveLength(6);
      expect(await metricsOf(stack)).toContain(
        'toolbridge_rate_limited_total{dimension="subject"} 2',
      );

      const lines = auditLines(log.records());
      expect(lines.map((line) => [line.subject, line.outcome])).toEqual([
        ...Array.from({ length: 3 }, () => ['alice', 'ok']),
        ['alice', 'rate_limited'],
        ['alice', 'rate_limited'],
        ...Array.from({ length: 3 }, () => ['bob', 'ok']),
      ]);
      for (const line of lines) {
        expect(line).toMatchObject({
          tool: 'list_notes',
          tenant: TENANT,
          sessionKind: SESSION_KIND[era],
        });
      }
      // Each call that reached the API carried its correlation id there.
      const upstreamIds = new Set(
        stack.front.dataRequests().map((r) => r.headers['x-correlation-id']),
      );
      for (const line of lines.filter((l) => l.outcome === 'ok')) {
        expect(upstreamIds).toContain(line.correlationId);
      }
    },
  );

  it("takes the HTTP request's X-Request-ID as the correlation id, on the API's side too", async () => {
    const log = capturingLogger('info');
    const stack = await startStack({ logger: log.logger });
    const token = await stack.token({ sub: 'carol' });
    const direct = await statelessCall(stack, token, 'list_notes', {
      'X-Request-ID': 'req-stateless-1',
    });
    expect(direct.status).toBe(200);

    const opened = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${token}` },
      body: initializeBody(),
    });
    const session = opened.headers.get('mcp-session-id') ?? '';
    const call = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'list_notes', arguments: { limit: 1 } },
    });
    const inSession = await rawRequest(`${stack.gateway.url}/mcp`, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        Authorization: `Bearer ${token}`,
        'Mcp-Session-Id': session,
        'MCP-Protocol-Version': '2025-06-18',
        'X-Request-ID': 'req-session-2',
      },
      body: call,
    });
    expect(inSession.status).toBe(200);

    expect(
      auditLines(log.records()).map((l) => [l.sessionKind, l.correlationId, l.outcome]),
    ).toEqual([
      ['stateless', 'req-stateless-1', 'ok'],
      ['streamable', 'req-session-2', 'ok'],
    ]);
    expect(stack.front.dataRequests().map((r) => r.headers['x-correlation-id'])).toEqual([
      'req-stateless-1',
      'req-session-2',
    ]);
  });
});

describe('requests refused for bad auth', () => {
  it('never count against the subject they name, at the edge or in tool calls; no token in any log line', async () => {
    const log = capturingLogger('debug');
    const stack = await startStack({
      rateLimits: 'subject=1/min burst 3, request=1/min burst 4',
      logger: log.logger,
      now: frozen,
    });
    const victim = await stack.token({ sub: 'victim' });
    const forged = await stack.token({ sub: 'victim', secret: 'not-the-gateway-secret-SENTINEL' });
    const expired = await stack.token({ sub: 'victim', expiresIn: Math.floor(NOW / 1000) - 3600 });
    for (const bad of [forged, expired, 'not-a-jwt-SENTINEL', '']) {
      for (let i = 0; i < 10; i += 1) {
        expect((await statelessCall(stack, bad, 'health_check')).status).toBe(401);
      }
    }

    // The victim still has all of its buckets: three calls, then a refused one, then the edge.
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await statelessCall(stack, victim, 'health_check'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429]);
    const results = answers.slice(0, 4).map((a) => RpcResult.parse(a.json).result);
    expect(results.map((r) => r.isError)).toEqual([false, false, false, true]);
    expect(results[3]?.content[0]?.text).toContain('rate limit subject (1/min burst 3');

    const edge = answers[4];
    expect(edge?.headers.get('retry-after')).toBe('60');
    expect(RpcError.parse(edge?.json).error).toEqual({
      code: -32000,
      message:
        'rate limit subject.request (1/min burst 4, TOOLBRIDGE_RATE_LIMITS) reached; retry in 60 s',
    });
    // Another subject passes the edge.
    const other = await statelessCall(stack, await stack.token({ sub: 'other' }), 'health_check');
    expect(other.status).toBe(200);

    const metrics = await metricsOf(stack);
    expect(metrics).toContain('toolbridge_rate_limited_total{dimension="subject"} 1');
    expect(metrics).toContain('toolbridge_rate_limited_total{dimension="subject.request"} 1');

    // Forty refused requests, five of the victim's, one of another subject's: not a token, a
    // secret or a forged text anywhere in what was logged, whatever the level.
    const text = log.text();
    expect(text).not.toBe('');
    for (const secret of [victim, forged, expired, stack.jwtSecret, stack.tenantHeaderSecret]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain('SENTINEL');
    expect(auditLines(log.records())).toHaveLength(5);
  });
});
