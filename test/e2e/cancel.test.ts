/**
 * A tool call the client cancels while the backend is still working: the gateway aborts the
 * upstream request (the recording front sees its socket close before it answered).
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { ERAS, ToolResult, callTool, connect, startStack, textOf, type Era } from './stack.ts';

describe.each(ERAS)('cancellation over %s', (era) => {
  it('aborting the SDK request aborts the upstream request', async () => {
    const stack = await startStack({ toolTimeoutMs: 10_000 });
    stack.front.arm({ method: 'GET', path: '/v1/notes', action: { kind: 'delay', ms: 5_000 } });
    const client = await connect(stack.gateway.url, await stack.token(), era);

    const controller = new AbortController();
    const call = callTool(client, 'list_notes', {}, { signal: controller.signal });
    const settled = call.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    // Session POST, then the data request, which the front holds back.
    await stack.front.waitForRequests(2);
    expect(stack.front.requests[1]).toMatchObject({ method: 'GET', path: '/v1/notes' });
    const started = performance.now();
    controller.abort(new Error('user pressed stop'));

    expect(await settled).toBeInstanceOf(Error);
    const aborted = await stack.front.waitForAbort((r) => r.path === '/v1/notes', 2_000);
    expect(aborted.answered).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);

    // The gateway is fine afterwards.
    stack.front.clearFaults();
    const next = await callTool(client, 'list_notes', {});
    expect(next.isError).toBe(false);
  });
});

/** Starts a list_notes call the front holds back; resolves once the data request is upstream. */
async function pendingCall(era: Era) {
  const stack = await startStack({ toolTimeoutMs: 10_000 });
  stack.front.arm({ method: 'GET', path: '/v1/notes', action: { kind: 'delay', ms: 5_000 } });
  const client = await connect(stack.gateway.url, await stack.token(), era);
  const settled = callTool(client, 'list_notes', {}).then(
    (result) => result,
    (error: unknown) => error,
  );
  await stack.front.waitForRequests(2);
  return { stack, client, settled };
}

describe('the caller goes away', () => {
  // In a 2025-era session too: the session transport cancels the calls of a POST whose client
  // hung up, through the protocol layer (src/mcp/session-transport.ts).
  it.each<Era>(['2026', 'sse', '2025'])(
    '%s: the client disconnecting aborts the upstream request',
    async (era) => {
      const { stack, client, settled } = await pendingCall(era);
      await client.close();
      await settled;
      const aborted = await stack.front.waitForAbort((r) => r.path === '/v1/notes', 2_000);
      expect(aborted.answered).toBe(false);
    },
  );

  it('2025: DELETE of the session aborts its in-flight upstream request', async () => {
    const { stack, client, settled } = await pendingCall('2025');
    const transport = client.transport;
    if (!(transport instanceof StreamableHTTPClientTransport)) throw new Error('not streamable');
    await transport.terminateSession();
    expect(stack.gateway.sessions.count()).toBe(0);
    const aborted = await stack.front.waitForAbort((r) => r.path === '/v1/notes', 2_000);
    expect(aborted.answered).toBe(false);
    await client.close();
    await settled;
  });
});

describe.each(ERAS)('shutdown over %s', (era) => {
  it('a call still waiting on the API when the drain times out is cut, with a clear answer', async () => {
    const { stack, settled } = await pendingCall(era);
    const started = performance.now();
    // The call would wait 10 s for its own deadline; the drain gives it 200 ms.
    expect(await stack.gateway.close(200)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_500);
    const aborted = await stack.front.waitForAbort((r) => r.path === '/v1/notes', 2_000);
    expect(aborted.answered).toBe(false);
    const result = ToolResult.parse(await settled);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('The gateway is shutting down');
  });

  it('close(0) with a call in flight returns promptly', async () => {
    const { stack, settled } = await pendingCall(era);
    const started = performance.now();
    expect(await stack.gateway.close()).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
    await stack.front.waitForAbort((r) => r.path === '/v1/notes', 2_000);
    await settled;
  });
});
