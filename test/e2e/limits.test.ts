/**
 * TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL: one caller with many hanging calls cannot take the
 * upstream pool from everyone else. Over real sockets, against an API that hangs one user's calls.
 */
import { describe, expect, it } from 'vitest';
import { callTool, connect, startStack, textOf, type Stack } from './stack.ts';

const HANGING_UID = '00000000-0000-4000-8000-0000000000aa';
const HANGING_CALLS = 150;

/** Median of the durations, in ms. */
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function noisyNeighbour(stack: Stack) {
  // Every call for HANGING_UID hangs past the tool deadline.
  stack.front.arm({ path: `/v1/notes/${HANGING_UID}`, action: { kind: 'delay', ms: 30_000 } });
  const noisy = await connect(stack.gateway.url, await stack.token({ sub: 'noisy' }), '2025');
  const quiet = await connect(stack.gateway.url, await stack.token({ sub: 'quiet' }), '2025');
  await callTool(quiet, 'list_notes', { limit: 1 }); // opens the quiet user's sync session

  const hanging = Array.from({ length: HANGING_CALLS }, () =>
    callTool(noisy, 'get_note', { uid: HANGING_UID }, { timeout: 60_000 }),
  );
  // Wait until the noisy calls have reached the API (or been refused), then time the quiet ones.
  for (let i = 0; i < 200; i += 1) {
    const held = stack.front.dataRequests().filter((r) => r.path.endsWith(HANGING_UID)).length;
    if (held >= 32) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const durations: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const started = performance.now();
    const result = await callTool(quiet, 'list_notes', { limit: 1 });
    durations.push(performance.now() - started);
    expect(result.isError).toBe(false);
  }
  return { hanging, quietP50: median(durations) };
}

describe('calls in flight per principal', () => {
  it('past the cap, calls fail at once with a clear text; other callers keep their latency', async () => {
    const stack = await startStack({ toolTimeoutMs: 8_000, maxInflightPerPrincipal: 32 });
    const started = performance.now();
    const { hanging, quietP50 } = await noisyNeighbour(stack);
    // The API's normal latency here is a few ms; queued behind 128 hung sockets it would be the
    // tool deadline (8 s). The bound leaves room for this machine's noise.
    expect(quietP50).toBeLessThan(500);

    const results = await Promise.all(hanging);
    const refused = results.filter((r) =>
      textOf(r).includes('TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL'),
    );
    expect(refused).toHaveLength(HANGING_CALLS - 32);
    for (const result of refused) {
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe(
        "Error calling tool 'get_note': this caller already has 32 tool calls running (TOOLBRIDGE_MAX_INFLIGHT_PER_PRINCIPAL); retry when one of them has finished",
      );
    }
    // Only the calls under the cap reached the API; they ended at the tool deadline.
    expect(stack.front.dataRequests().filter((r) => r.path.endsWith(HANGING_UID))).toHaveLength(32);
    expect(performance.now() - started).toBeGreaterThan(8_000);
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toContain(
      `toolbridge_tool_calls_total{tool="get_note",outcome="inflight_limit"} ${HANGING_CALLS - 32}`,
    );
  }, 40_000);

  it('a finished call frees its place', async () => {
    const stack = await startStack({ maxInflightPerPrincipal: 1 });
    const client = await connect(stack.gateway.url, await stack.token(), '2025');
    for (let i = 0; i < 5; i += 1) {
      expect((await callTool(client, 'list_notes', { limit: 1 })).isError).toBe(false);
    }
  });
});
