/**
 * Read/write tool scopes are checked in the ToolCaller, which both ways a call can take run: the
 * 2026-07-28 direct path and the SDK's protocol handler. The harness counts which path served
 * each call, and the two answers must be the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { createScopePolicy } from '../../src/auth/scopes.ts';
import type { ClientVerifier } from '../../src/auth/verifier.ts';
import {
  DIRECT,
  echo,
  expectSameAnswer,
  rpc,
  sdk,
  sendRaw,
  startApp,
} from '../helpers/direct-apps.ts';
import { stackToken } from '../helpers/stack.ts';

const REVISION = '2026-07-28';

const plain = (id: number) =>
  rpc(id, {
    ...echo({ a: 1 }),
    _meta: {
      'io.modelcontextprotocol/protocolVersion': REVISION,
      'io.modelcontextprotocol/clientInfo': { name: 'x', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  });

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': REVISION,
  'mcp-method': 'tools/call',
  'mcp-name': 'echo_tool',
};

/** Every bearer is a caller whose token granted these scopes (as a JWKS token's would). */
const grants =
  (scopes: string[]): ClientVerifier =>
  () =>
    Promise.resolve({ subject: 'u', tenantId: 't', authorization: 'Bearer x', scopes });

describe('tool scopes on both paths', () => {
  const policy = createScopePolicy({ read: 'tb:read', write: 'tb:write' });

  it.each([
    { name: 'a token without the write scope is refused', scopes: ['tb:read'], refused: true },
    { name: 'a token with it is served', scopes: ['tb:write'], refused: false },
  ])('$name, the same way on either path', async ({ scopes, refused }) => {
    const options = { verify: grants(scopes), scopes: policy };
    const [direct, viaSdk] = await Promise.all([
      startApp(true, undefined, options),
      startApp(false, undefined, options),
    ]);
    const token = await stackToken({ sub: 'u' });
    const request = { token, headers: HEADERS, body: plain(1) };
    const fromDirect = await sendRaw(direct.url, request);
    const fromSdk = await sendRaw(viaSdk.url, request);
    expect(direct.counts).toEqual(DIRECT);
    expect(viaSdk.counts).toEqual(sdk(1));
    expectSameAnswer(fromDirect, fromSdk);
    const { text } = fromDirect;
    if (refused) {
      expect(text).toContain('"isError":true');
      expect(text).toContain(
        "Error calling tool 'echo_tool': this tool needs the 'tb:write' scope, which the token does not grant",
      );
    } else {
      expect(text).toContain('"echoed":{"a":1}');
    }
  });
});
