/**
 * Backend failures reach the MCP client as clear `isError` results; the gateway stays up and the
 * next call works. No secret ever appears in a result.
 */
import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../helpers/log-capture.ts';
import { expectNoSecrets } from './checks.ts';
import {
  callTool,
  closedPortUrl,
  connect,
  ItemList,
  randomSecret,
  startStack,
  structuredOf,
  textOf,
  type Fault,
  type Stack,
  type StackOptions,
} from './stack.ts';

interface Case {
  readonly name: string;
  readonly options?: () => Promise<StackOptions>;
  readonly fault?: Fault;
  /** What the result text must contain. */
  readonly expected: readonly (string | RegExp)[];
  /** The failure's code, as the metric's outcome label and in the log line. */
  readonly outcome: string;
  /** Whether a data call can succeed afterwards (otherwise the check is health_check). */
  readonly recovers: boolean;
  /** An upper bound for the failing call, when the point is that it fails fast. */
  readonly withinMs?: number;
}

const GO_ERROR = { error: 'database is on fire', correlation_id: 'corr-5f0e-1234' };

const CASES: readonly Case[] = [
  {
    name: 'backend down (nothing listens on the port)',
    options: async () => ({ upstreamUrl: await closedPortUrl() }),
    expected: [/unreachable/, 'ECONNREFUSED'],
    outcome: 'upstream_unreachable',
    recovers: false,
  },
  {
    name: 'connection dropped without an answer',
    fault: { method: 'GET', path: '/v1/notes', times: 1, action: { kind: 'destroy' } },
    expected: [/unreachable|connection/i],
    outcome: 'upstream_unreachable',
    recovers: true,
  },
  {
    name: 'a 503 with a Go error body on the data call',
    fault: {
      method: 'GET',
      path: '/v1/notes',
      times: 1,
      action: { kind: 'respond', status: 503, body: GO_ERROR },
    },
    expected: ['503', GO_ERROR.error, GO_ERROR.correlation_id],
    outcome: 'upstream_5xx',
    recovers: true,
  },
  {
    name: 'a 500 with a Go error body on session creation',
    fault: {
      method: 'POST',
      path: '/v1/sync/sessions',
      times: 1,
      action: { kind: 'respond', status: 500, body: GO_ERROR },
    },
    expected: ['500', /session/i, GO_ERROR.error, GO_ERROR.correlation_id],
    outcome: 'upstream_session_failed',
    recovers: true,
  },
  {
    name: 'slower than the tool deadline',
    options: () => Promise.resolve({ toolTimeoutMs: 300 }),
    fault: { method: 'GET', path: '/v1/notes', times: 1, action: { kind: 'delay', ms: 2_000 } },
    expected: [/did not answer within 300 ms|timed? ?out/i],
    outcome: 'upstream_timeout',
    recovers: true,
    withinMs: 1_200,
  },
  {
    name: 'session creation slower than the tool deadline',
    options: () => Promise.resolve({ toolTimeoutMs: 300 }),
    fault: {
      method: 'POST',
      path: '/v1/sync/sessions',
      times: 1,
      action: { kind: 'delay', ms: 2_000 },
    },
    expected: [/did not answer within 300 ms|timed? ?out/i],
    outcome: 'upstream_timeout',
    recovers: true,
    withinMs: 1_200,
  },
  {
    name: 'invalid JSON on a 200',
    fault: { method: 'GET', path: '/v1/notes', times: 1, action: { kind: 'invalidJson' } },
    expected: ['200', /not JSON|unexpected response/i],
    outcome: 'upstream_bad_response',
    recovers: true,
  },
  {
    name: 'a 200 whose JSON is not a list page',
    fault: {
      method: 'GET',
      path: '/v1/notes',
      times: 1,
      action: { kind: 'respond', status: 200, body: { rows: [] } },
    },
    expected: [/unexpected response/i],
    outcome: 'upstream_bad_response',
    recovers: true,
  },
  {
    name: 'the backend refuses a token the gateway accepts (401)',
    options: () => Promise.resolve({ backendJwtSecret: randomSecret('backend-jwt') }),
    expected: ['401', /session/i],
    outcome: 'upstream_session_failed',
    recovers: false,
  },
  {
    name: 'a 401 on the data call',
    fault: {
      method: 'GET',
      path: '/v1/notes',
      times: 1,
      action: { kind: 'respond', status: 401, body: 'unauthorized\n' },
    },
    expected: ['401'],
    outcome: 'upstream_4xx',
    recovers: true,
  },
];

async function healthyCall(
  stack: Stack,
  token: string,
  recovers: boolean,
  client: Parameters<typeof callTool>[0],
) {
  stack.front.clearFaults();
  const health = structuredOf(await callTool(client, 'health_check'));
  expect(health).toMatchObject({ status: 'healthy' });
  if (recovers) {
    const page = ItemList.parse(structuredOf(await callTool(client, 'list_notes', { limit: 5 })));
    expect(page.items).toEqual([]);
  }
  // A new client can still connect: the gateway is up.
  const fresh = await connect(stack.gateway.url, token, '2025');
  expect((await fresh.listTools()).tools).toHaveLength(41);
}

describe('backend faults', () => {
  it.each(CASES)('$name → isError with a clear text', async (c) => {
    const log = capturingLogger('warn');
    const options = c.options === undefined ? {} : await c.options();
    const stack = await startStack({ ...options, logger: log.logger });
    if (c.fault !== undefined) stack.front.arm(c.fault);
    const token = await stack.token();
    const client = await connect(stack.gateway.url, token, '2025');

    const started = performance.now();
    const result = await callTool(client, 'list_notes', { limit: 5 });
    const elapsed = performance.now() - started;

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    const text = textOf(result);
    expect(text).toMatch(/^Error calling tool 'list_notes': /);
    for (const wanted of c.expected) {
      if (typeof wanted === 'string') expect(text).toContain(wanted);
      else expect(text).toMatch(wanted);
    }
    expectNoSecrets(result, [token, stack.jwtSecret, stack.tenantHeaderSecret]);
    if (c.withinMs !== undefined) expect(elapsed).toBeLessThan(c.withinMs);
    // The code the result was rendered from reaches the metric and the log line.
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toContain(
      `toolbridge_tool_calls_total{tool="list_notes",outcome="${c.outcome}"} 1`,
    );
    const failed = log.records().filter((record) => record['msg'] === 'tool call failed');
    expect(failed).toHaveLength(1);
    expect(String(failed[0]?.['code']).toLowerCase()).toBe(
      c.outcome.startsWith('upstream_') && /\dxx$/.test(c.outcome)
        ? 'upstream_http_error'
        : c.outcome,
    );

    await healthyCall(stack, token, c.recovers, client);
  });

  it('the timed-out upstream request is aborted, not left running', async () => {
    const stack = await startStack({ toolTimeoutMs: 300 });
    stack.front.arm({
      method: 'GET',
      path: '/v1/notes',
      times: 1,
      action: { kind: 'delay', ms: 2_000 },
    });
    const client = await connect(stack.gateway.url, await stack.token(), '2025');
    const result = await callTool(client, 'list_notes', {});
    expect(result.isError).toBe(true);
    const aborted = await stack.front.waitForAbort((r) => r.path === '/v1/notes', 1_000);
    expect(aborted.answered).toBe(false);
  });

  it('an upstream error text that quotes a credential is shown redacted', async () => {
    const stack = await startStack();
    const token = await stack.token();
    stack.front.arm({
      method: 'GET',
      path: '/v1/notes',
      times: 1,
      action: {
        kind: 'respond',
        status: 500,
        body: {
          error: `rejected Bearer ${token} signed for ${stack.tenantHeaderSecret}`,
          correlation_id: 'corr-1',
        },
      },
    });
    const client = await connect(stack.gateway.url, token, '2025');
    const result = await callTool(client, 'list_notes', {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('500');
    expectNoSecrets(result, [token, stack.jwtSecret, stack.tenantHeaderSecret]);
  });
});
