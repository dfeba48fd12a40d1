import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Principal } from '../../src/auth/verifier.ts';
import { createMemoryBuckets } from '../../src/limits/buckets.ts';
import { createRateLimiter } from '../../src/limits/limiter.ts';
import { parseRateLimits } from '../../src/limits/rules.ts';
import { createToolCaller, type CallOrigin } from '../../src/mcp/tool-call.ts';
import type { ToolResult, ToolRuntime } from '../../src/tools/index.ts';
import { capturingLogger } from '../helpers/log-capture.ts';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLVNFTlRJTkVM';

const hints = (readOnlyHint: boolean) => ({
  title: 't',
  readOnlyHint,
  destructiveHint: !readOnlyHint,
  idempotentHint: true,
  openWorldHint: false,
});
const definition = (name: string, readOnly?: boolean) => ({
  name,
  description: name,
  inputSchema: { type: 'object' },
  outputSchema: { type: 'object' },
  ...(readOnly === undefined ? {} : { annotations: hints(readOnly) }),
});

/** read_tool (read-only), write_tool, bare_tool (no annotations); each answers {}. */
const tools: ToolRuntime = {
  definitions: [
    definition('read_tool', true),
    definition('write_tool', false),
    definition('bare_tool'),
  ],
  has: () => true,
  call: (): Promise<ToolResult> =>
    Promise.resolve({
      content: [{ type: 'text', text: '{}' }],
      structuredContent: {},
      isError: false,
    }),
};

const alice: Principal = {
  subject: 'alice',
  tenantId: 'tenant-1',
  authorization: `Bearer ${TOKEN}`,
};

function callerWith(rules: string) {
  const parsed = parseRateLimits(rules);
  if (!parsed.ok) throw new Error(parsed.problem);
  const log = capturingLogger('info');
  const outcomes: string[] = [];
  const caller = createToolCaller({
    tools,
    identityFor: () => undefined,
    logger: log.logger,
    metrics: { toolCall: (_tool, outcome) => outcomes.push(outcome) },
    limiter: createRateLimiter(parsed.value, createMemoryBuckets({ now: () => 0 })),
  });
  const call = (name: string, origin: Partial<CallOrigin> = {}) =>
    caller.call(
      name,
      {},
      { principal: alice, sessionKind: 'stateless', ...origin },
      new AbortController().signal,
    );
  return { call, log, outcomes };
}

const AuditLine = z.strictObject({
  level: z.enum(['info', 'warn']),
  time: z.string(),
  name: z.literal('toolbridge-mcp'),
  pid: z.number(),
  hostname: z.string(),
  msg: z.enum(['tool call', 'tool call failed']),
  tool: z.string(),
  outcome: z.string(),
  tenant: z.string(),
  subject: z.string(),
  serviceKeyId: z.string().optional(),
  sessionKind: z.enum(['streamable', 'sse', 'stateless', 'stdio']),
  correlationId: z.string(),
  ms: z.number(),
  code: z.string().optional(),
  error: z.string().optional(),
});

describe('tool caller: rate limits', () => {
  it('refuses a call over the limit with an isError result naming the rule and the wait', async () => {
    const { call, outcomes } = callerWith('subject=1/min burst 2');
    expect((await call('read_tool')).isError).toBe(false);
    expect((await call('read_tool')).isError).toBe(false);
    expect(await call('read_tool')).toEqual({
      content: [
        {
          type: 'text',
          text: "Error calling tool 'read_tool': rate limit subject (1/min burst 2, TOOLBRIDGE_RATE_LIMITS) reached; retry in 60 s",
        },
      ],
      isError: true,
      failure: { code: 'RATE_LIMITED' },
    });
    expect(outcomes).toEqual(['ok', 'ok', 'rate_limited']);
  });

  it('counts tools by their readOnlyHint; a tool without annotations is a write', async () => {
    const { call } = callerWith('write=1/min burst 1');
    expect((await call('write_tool')).isError).toBe(false);
    expect((await call('bare_tool')).isError).toBe(true);
    expect((await call('read_tool')).isError).toBe(false);
    expect((await call('read_tool')).isError).toBe(false);
  });
});

describe('tool caller: the audit line', () => {
  it('has tool, outcome, caller, service key, session kind, correlation id and duration; no token', async () => {
    const { call, log } = callerWith('key=1/min burst 1');
    const onBehalf: Principal = { ...alice, serviceKeyId: 'sk_live_1a2b' };
    await call('read_tool', { principal: onBehalf, sessionKind: 'streamable', requestId: 'req-1' });
    await call('write_tool', { principal: onBehalf, sessionKind: 'sse', requestId: 'req-2' });
    await call('read_tool', { sessionKind: 'stdio' });

    const lines = log.records().map((record) => AuditLine.parse(record));
    expect(lines).toMatchObject([
      {
        level: 'info',
        name: 'toolbridge-mcp',
        msg: 'tool call',
        tool: 'read_tool',
        outcome: 'ok',
        tenant: 'tenant-1',
        subject: 'alice',
        serviceKeyId: 'sk_live_1a2b',
        sessionKind: 'streamable',
        correlationId: 'req-1',
      },
      {
        level: 'warn',
        name: 'toolbridge-mcp',
        msg: 'tool call failed',
        tool: 'write_tool',
        outcome: 'rate_limited',
        tenant: 'tenant-1',
        subject: 'alice',
        serviceKeyId: 'sk_live_1a2b',
        sessionKind: 'sse',
        correlationId: 'req-2',
        code: 'RATE_LIMITED',
        error:
          "Error calling tool 'write_tool': rate limit key (1/min burst 1, TOOLBRIDGE_RATE_LIMITS) reached; retry in 60 s",
      },
      {
        level: 'info',
        name: 'toolbridge-mcp',
        msg: 'tool call',
        tool: 'read_tool',
        outcome: 'ok',
        tenant: 'tenant-1',
        subject: 'alice',
        sessionKind: 'stdio',
      },
    ]);
    // The call that came without a request (stdio) gets a fresh correlation id.
    expect(lines[2]?.correlationId).toMatch(/^[0-9a-f]{8}-[0-9a-f-]{27}$/);
    expect(lines.every((line) => line.ms >= 0)).toBe(true);
    expect(log.text()).not.toContain(TOKEN);
    expect(log.text()).not.toContain('SENTINEL');
    // Nothing needed scrubbing: the line never had the token to begin with.
    expect(log.text()).not.toContain('[REDACTED]');
  });
});
