/**
 * The assumption behind the remembered verdicts in src/mcp/direct-stateless.ts: for a plain
 * 2026-07-28 tools/call, the SDK's classifier decides on the `_meta` envelope alone. Checked
 * against the SDK's own classifyInboundRequest on generated calls and envelopes, valid or not.
 */
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainToolCall } from '../../src/mcp/plain-call.ts';

const REVISION = '2026-07-28';
const PROTOCOL = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
const CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const TOOLS = ['get_note', 'create_note', 'health_check'];
const known = (name: string) => TOOLS.includes(name);
// The generated envelopes hold only the three envelope keys, which direct-stateless.ts requires.
const anyMeta = () => true;

/** The classifier's verdict on a POST of `body` with the headers a plain call must carry. */
function servedDirectly(body: unknown, name: string): boolean {
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    body,
    protocolVersionHeader: REVISION,
    mcpMethodHeader: 'tools/call',
    mcpNameHeader: name,
  });
  return (
    route.kind === 'modern' &&
    route.messageKind === 'request' &&
    route.classification.revision === REVISION
  );
}

const version = fc.oneof(fc.constantFrom(REVISION, '2025-11-25', '2099-01-01', ''), fc.jsonValue());
const clientInfo = fc.oneof(
  { arbitrary: fc.record({ name: fc.string(), version: fc.string() }), weight: 4 },
  fc.record({ name: fc.string(), version: fc.string(), title: fc.string() }),
  fc.record({ name: fc.string() }),
  fc.record({ name: fc.jsonValue(), version: fc.jsonValue() }),
  fc.jsonValue(),
);
const capabilities = fc.oneof(
  { arbitrary: fc.constant({}), weight: 4 },
  fc.record({ sampling: fc.constant({}), elicitation: fc.constant({}) }),
  fc.dictionary(fc.string(), fc.jsonValue()),
  fc.jsonValue(),
);
const envelopeKeys = {
  [PROTOCOL]: version,
  [CLIENT_INFO]: clientInfo,
  [CAPABILITIES]: capabilities,
};
/** The three envelope keys, or any subset of them, with valid and invalid values. */
const envelope = fc.oneof(
  { arbitrary: fc.record(envelopeKeys), weight: 3 },
  { arbitrary: fc.record(envelopeKeys, { requiredKeys: [] }), weight: 1 },
);
let accepted = 0;
const toolCall = fc.record({
  id: fc.oneof(fc.string(), fc.maxSafeInteger(), fc.maxSafeNat()),
  name: fc.constantFrom(...TOOLS),
  args: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
});

const body = (meta: object, call: { id: unknown; name: string; args: unknown }) => ({
  jsonrpc: '2.0',
  id: call.id,
  method: 'tools/call',
  params: {
    name: call.name,
    ...(call.args === undefined ? {} : { arguments: call.args }),
    _meta: meta,
  },
});

describe('the classifier on plain 2026-07-28 tools/calls', () => {
  it('gives two calls with the same envelope the same verdict', () => {
    fc.assert(
      fc.property(envelope, toolCall, toolCall, (meta, first, second) => {
        const a = body(meta, first);
        const b = body(meta, second);
        fc.pre(plainToolCall(a, known, anyMeta) !== undefined);
        fc.pre(plainToolCall(b, known, anyMeta) !== undefined);
        const verdict = servedDirectly(a, first.name);
        if (verdict) accepted += 1;
        expect(servedDirectly(b, second.name)).toBe(verdict);
      }),
      { numRuns: 2000 },
    );
    // Accepted envelopes are where a wrong assumption would serve a call the SDK refuses.
    expect(accepted).toBeGreaterThan(20);
  });

  it('accepts a valid envelope and refuses an invalid one (the property is not vacuous)', () => {
    const call = { id: 1, name: 'get_note', args: { uid: 'u' } };
    const valid = {
      [PROTOCOL]: REVISION,
      [CLIENT_INFO]: { name: 'c', version: '1' },
      [CAPABILITIES]: {},
    };
    expect(servedDirectly(body(valid, call), 'get_note')).toBe(true);
    const noVersion = { ...valid, [CLIENT_INFO]: { name: 'c' } };
    expect(servedDirectly(body(noVersion, call), 'get_note')).toBe(false);
    const partial = { [PROTOCOL]: REVISION, [CLIENT_INFO]: { name: 'c', version: '1' } };
    expect(servedDirectly(body(partial, call), 'get_note')).toBe(false);
  });
});
