/**
 * The direct path for a plain 2026-07-28 `tools/call`. The SDK's stateless entry builds,
 * connects and closes a protocol instance and a per-request transport for every such call; this
 * runs the same ToolCaller and writes the answer the entry would have written
 * (test/mcp/direct-stateless.test.ts compares both). It copies SDK behaviour, so the `_meta` it
 * takes is an allow-list (the three envelope keys), the SDK is pinned to an exact version, and
 * `.ci/sdk-latest` runs that comparison against the newest SDK release.
 *
 * A call is plain when it is a POST, the standard headers name exactly this revision, method and
 * tool, the body is a single well-formed tools/call of a known tool whose `_meta` holds only the
 * three envelope keys, and both media types are accepted. It is served only once the SDK's own
 * classifier (which streamable.ts runs to route the request) has called it a modern request of
 * revision 2026-07-28, so its envelope passed the SDK's checks. For a plain call that verdict
 * depends on the envelope alone (the body's other parts and the headers are pinned by the checks
 * above), so it is remembered per envelope: a client that sends the same envelope again, as
 * clients do, skips the classifier, about a tenth of this path's CPU. The test suite holds the
 * remembered verdicts to the classifier's on generated requests. Anything else goes to the
 * entry, which answers every rejection in its own words. As on the SDK's path, the call is
 * cancelled when its client goes away before the answer.
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
} from './plain-call.ts';
import type { PrincipalCarrier } from './principal.ts';
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

/** A plain call (see the file comment) and its envelope, as the key of the classifier's verdict. */
export interface PlainStatelessCall {
  readonly call: PlainToolCall;
  readonly envelope: string;
}

export interface DirectStatelessCalls {
  /** The plain call `req` carries, or undefined: then only the SDK entry may answer it. */
  match(req: DirectRequest): PlainStatelessCall | undefined;
  /** Serves `plain` when the classifier has accepted its envelope before; false: classify it. */
  serveKnown(plain: PlainStatelessCall, req: DirectRequest, res: ServerResponse): boolean;
  /** Serves `plain` when the classifier's `route` accepts it, and remembers the envelope. */
  serve(
    plain: PlainStatelessCall,
    req: DirectRequest,
    res: ServerResponse,
    route: InboundClassificationOutcome,
  ): boolean;
}

/** Distinct envelopes remembered; a client sends one, so this only bounds a hostile caller. */
const MAX_KNOWN_ENVELOPES = 256;
/**
 * Longest envelope (JSON text) remembered. A client's envelope is a few hundred characters; a
 * longer one is classified on every call instead. This bounds what the verdicts can hold to
 * 256 × 1 Ki characters, at most 512 KiB, whatever a caller sends (up to 1 MiB per body).
 */
const MAX_KNOWN_ENVELOPE_CHARS = 1024;

export function createDirectStatelessCalls(
  caller: ToolCaller,
  serverInfo: ServerIdentity,
  onerror: (error: Error) => void,
  principals: Pick<PrincipalCarrier, 'requestIdOf'>,
): DirectStatelessCalls {
  // What the 2026-07-28 codec stamps on every result it encodes.
  const stamp = { resultType: 'complete', _meta: { [SERVER_INFO_META_KEY]: serverInfo } };
  const knownEnvelopes = new Set<string>();

  async function run(call: PlainToolCall, req: DirectRequest, res: ServerResponse) {
    const signal = clientGone(res);
    let payload: string;
    try {
      const origin = {
        principal: req.principal,
        sessionKind: 'stateless' as const,
        requestId: principals.requestIdOf(req.auth),
      };
      const result = await caller.call(call.name, call.args, origin, signal);
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
    match(req) {
      if (req.method !== 'POST') return undefined;
      const call = plainToolCall(req.body, (name) => caller.has(name), envelopeOnly);
      if (call === undefined || !acceptsAndSendsJson(req)) return undefined;
      if (joinedHeader(req, 'mcp-protocol-version') !== REVISION) return undefined;
      if (joinedHeader(req, 'mcp-method') !== 'tools/call') return undefined;
      if (joinedHeader(req, 'mcp-name') !== call.name) return undefined;
      return { call, envelope: JSON.stringify(call.meta) };
    },

    serveKnown(plain, req, res) {
      if (!knownEnvelopes.has(plain.envelope)) return false;
      void run(plain.call, req, res);
      return true;
    },

    serve(plain, req, res, route) {
      if (route.kind !== 'modern' || route.messageKind !== 'request') return false;
      if (route.classification.revision !== REVISION) return false;
      if (plain.envelope.length <= MAX_KNOWN_ENVELOPE_CHARS) {
        if (knownEnvelopes.size >= MAX_KNOWN_ENVELOPES) knownEnvelopes.clear();
        knownEnvelopes.add(plain.envelope);
      }
      void run(plain.call, req, res);
      return true;
    },
  };
}
