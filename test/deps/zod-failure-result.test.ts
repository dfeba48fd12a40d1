import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/**
 * Guards the zod pin (package.json "zod" and "overrides"). zod 4.6 returns a failed safeParse as
 * an object literal with an `error` getter closing over the issues and the parsed input. The MCP
 * SDK runs several failing safeParses per message (isJSONRPCResultResponse and friends), and V8
 * keeps what such literals close over alive through young-generation GCs: measured in the
 * gateway, ~7 MB promoted per scavenge and 10–15 ms scavenge pauses. zod 4.5 stores the error as
 * a plain value. Before moving the pin, check bench/gateway.ts's GC table.
 */
describe('zod failure results (pinned for GC behaviour)', () => {
  it('carry the error as a data property, not an accessor', () => {
    const result = z.object({ a: z.string() }).safeParse({ a: 1 });
    expect(result.success).toBe(false);
    const descriptor = Object.getOwnPropertyDescriptor(result, 'error');
    expect(Object.keys(descriptor ?? {})).not.toContain('get');
    expect(descriptor?.value).toBeInstanceOf(z.ZodError);
  });
});
