/**
 * The direct path for a plain 2026-07-28 `tools/call`, the per-request era's counterpart of
 * direct-call.ts. The SDK's stateless entry builds, connects and closes a protocol instance and a
 * per-request transport for every such call; this runs the same ToolCaller and writes the answer
 * the entry would have written (test/mcp/direct-stateless.test.ts compares both).
 *
 * Taken only when the SDK's own classifier (already run to route the request) calls it a modern
 * request of revision 2026-07-28, which means its envelope passed the SDK's checks; and when the
 * standard headers name exactly this method and tool, the envelope holds only the three required
 * keys, and both media types are accepted. Anything else goes to the entry, which answers every
 * rejection in its own words. As on the SDK's path, the call is cancelled when its client goes
 * away before the answer.
 */
import type { ServerResponse } from 'node:http';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  SERVER_INFO_META_KEY,
  type InboundClassificationOutcome,
} from '@modelcontextprotocol/server';
import {
  acceptsAndSendsJson,
  isRecord,
  joinedHeader,
  plainToolCall,
  wireResult,
  writeJson,
  type DirectRequest,
  type PlainToolCall,
} from './direct-call.ts';
import type { ToolCaller } from './tool-call.ts';
import { clientGone } from './web-bridge.ts';

const REVISION = '2026-07-28';
const ENVELOPE_KEYS = new Set([
  PROTOCOL_VERSION_META_KEY,
  CLIENT_INFO_META_KEY,
  CLIENT_CAPABILITIES_META_KEY,
]);

/** The required envelope and nothing else (no log level, progress token or extension keys). */
const envelopeOnly = (meta: unknown) =>
  isRecord(meta) && Object.keys(meta).every((key) => ENVELOPE_KEYS.has(key));

export interface ServerIdentity {
  readonly name: string;
  readonly version: string;
}

export interface DirectStatelessCalls {
  /** Serves `req` when it is a plain 2026-07-28 tools/call; false leaves it to the SDK entry. */
  serve(req: DirectRequest, res: ServerResponse, route: InboundClassificationOutcome): boolean;
}

export function createDirectStatelessCalls(
  caller: ToolCaller,
  serverInfo: ServerIdentity,
  onerror: (error: Error) => void,
): DirectStatelessCalls {
  // What the 2026-07-28 codec stamps on every result it encodes.
  const stamp = { resultType: 'complete', _meta: { [SERVER_INFO_META_KEY]: serverInfo } };

  async function run(call: PlainToolCall, req: DirectRequest, res: ServerResponse) {
    const signal = clientGone(res);
    let payload: string;
    try {
      const result = await caller.call(call.name, call.args, req.auth, signal);
      const wire = { ...wireResult(result), ...stamp };
      payload = JSON.stringify({ result: wire, jsonrpc: '2.0', id: call.id });
    } catch (error) {
      // ToolCaller turns every failure into a result; reaching here is a bug, shown generically.
      onerror(error instanceof Error ? error : new Error(String(error)));
      const failure = { code: -32603, message: 'Internal error' };
      payload = JSON.stringify({ jsonrpc: '2.0', id: call.id, error: failure });
    }
    if (signal.aborted || res.writableEnded || res.destroyed) return;
    writeJson(res, 200, payload);
  }

  return {
    serve(req, res, route) {
      if (route.kind !== 'modern' || route.messageKind !== 'request') return false;
      if (route.classification.revision !== REVISION) return false;
      const call = plainToolCall(req.body, (name) => caller.has(name), envelopeOnly);
      if (call === undefined || !acceptsAndSendsJson(req)) return false;
      if (joinedHeader(req, 'mcp-protocol-version') !== REVISION) return false;
      if (joinedHeader(req, 'mcp-method') !== 'tools/call') return false;
      if (joinedHeader(req, 'mcp-name') !== call.name) return false;
      void run(call, req, res);
      return true;
    },
  };
}
