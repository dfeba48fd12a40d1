/**
 * Differential harness for the 2026-07-28 direct path (src/mcp/direct-stateless.ts): a
 * gateway app on loopback with the direct paths on or off, over fake deterministic tools, whose
 * ToolCallers count which path ran each call; and raw send/compare helpers for the wire.
 */
import { createServer } from 'node:http';
import { expect } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createIdentityResolver } from '../../src/auth/identity.ts';
import type { ScopePolicy } from '../../src/auth/scopes.ts';
import { createClientVerifier, type ClientVerifier } from '../../src/auth/verifier.ts';
import { createDrain } from '../../src/drain.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createPrincipalCarrier } from '../../src/mcp/principal.ts';
import { SERVER_NAME, createServerFactory } from '../../src/mcp/server.ts';
import { createToolCaller, type ToolCaller } from '../../src/mcp/tool-call.ts';
import type { ToolResult, ToolRuntime } from '../../src/tools/index.ts';
import type { SessionStore } from '../../src/store/index.ts';
import { capturingLogger } from './log-capture.ts';
import { listen, onCleanup } from './loopback.ts';
import { memorySessions } from './sessions.ts';
import { STACK_JWT_SECRET } from './stack.ts';

const schema = { type: 'object' };
const definition = (name: string) => ({
  name,
  description: name,
  inputSchema: schema,
  outputSchema: schema,
});

/** The stack's HS256 verifier: tokens from stackToken() verify, tenant pinned. */
const verify = createClientVerifier({
  mode: 'jwt',
  jwtSecret: STACK_JWT_SECRET,
  tenantClaim: 'tenant_id',
  pinnedTenant: 'stack-tenant',
});

/** Deterministic tools: echo (structured from its arguments), fail (isError), wait (until aborted). */
function fakeTools(waiting: ((signal: AbortSignal) => void)[]): ToolRuntime {
  const names = new Set(['echo_tool', 'fail_tool', 'wait_tool', 'unordered_tool']);
  return {
    definitions: [...names].map(definition),
    has: (name) => names.has(name),
    call: (name, args, { signal }): Promise<ToolResult> => {
      if (name === 'fail_tool') {
        return Promise.resolve({ content: [{ type: 'text', text: 'it failed' }], isError: true });
      }
      if (name === 'unordered_tool') {
        // Keys in the reverse of the SDK's result order: both paths must still write the same bytes.
        const structuredContent = { n: 1 };
        return Promise.resolve({
          isError: false,
          structuredContent,
          content: [{ type: 'text', text: JSON.stringify(structuredContent) }],
        });
      }
      if (name === 'wait_tool' && signal !== undefined) {
        waiting.shift()?.(signal);
        return new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            resolve({ content: [{ type: 'text', text: 'aborted' }], isError: true });
          });
        });
      }
      const structured = { echoed: args ?? '(none)' };
      const text = JSON.stringify(structured);
      return Promise.resolve({ content: [{ type: 'text', text }], structuredContent: structured });
    },
  };
}

/** How many ToolCaller calls each path made. */
export type Counts = { direct: number; sdk: number };

export const DIRECT: Counts = { direct: 1, sdk: 0 };
export const sdk = (calls: number): Counts => ({ direct: 0, sdk: calls });

const counting = (base: ToolCaller, counts: Counts, path: keyof Counts): ToolCaller => ({
  has: (name) => base.has(name),
  call: (...args) => {
    counts[path] += 1;
    return base.call(...args);
  },
});

const serverInfo = { name: SERVER_NAME, version: '0.0.0-test' };

export interface AppOptions {
  /** Client verification in place of the stack's HS256 verifier (e.g. principals with scopes). */
  readonly verify?: ClientVerifier;
  /** Read/write tool scopes; the fake tools have no readOnlyHint, so each counts as writing. */
  readonly scopes?: ScopePolicy;
}

/** A gateway app on loopback: with `direct`, plain tools/calls skip the SDK. */
export async function startApp(
  direct: boolean,
  sharedStore?: SessionStore,
  options: AppOptions = {},
) {
  // Its lines go to the secret ledger only (test/setup/secret-scan.ts).
  const { logger } = capturingLogger('trace');
  const waiting: ((signal: AbortSignal) => void)[] = [];
  const deps = {
    tools: fakeTools(waiting),
    identityFor: createIdentityResolver(undefined),
    logger,
    scopes: options.scopes,
  };
  const base = createToolCaller(deps);
  const counts: Counts = { direct: 0, sdk: 0 };
  const principals = createPrincipalCarrier();
  const newServer = createServerFactory(
    { ...deps, version: serverInfo.version, principals },
    counting(base, counts, 'sdk'),
  );
  const { sessions, store, close } = memorySessions(newServer, undefined, sharedStore);
  onCleanup(close);
  const drain = createDrain();
  const sources = {
    sessions: () => ({ streamable: sessions.count(), sse: 0 }),
    pool: () => undefined,
  };
  const app = createApp({
    logger,
    verify: options.verify ?? verify,
    newServer,
    principals,
    direct: direct
      ? { caller: counting(base, counts, 'direct'), serverInfo, principals }
      : undefined,
    sessions,
    allowedOrigins: [],
    bindHost: '127.0.0.1',
    maxBodyBytes: 1024 * 1024,
    health: {
      backendUrl: 'http://127.0.0.1:9',
      warnings: [],
      drain,
      metrics: createMetrics(sources),
    },
  });
  const origin = await listen(createServer(app));
  /** Resolves with the signal of the next wait_tool call once it runs. */
  const nextWait = () => {
    const { promise, resolve } = Promise.withResolvers<AbortSignal>();
    waiting.push(resolve);
    return promise;
  };
  return { origin, url: `${origin}/mcp`, counts, nextWait, drain, sessions, store };
}

/** Both apps at once: direct paths on, and SDK only. */
export const startBoth = () => Promise.all([startApp(true), startApp(false)]);

export interface Seen {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface RawRequest {
  /** The bearer token sent; every answer is checked not to carry it. */
  token: string;
  /** All request headers but authorization; an empty value leaves that header out. */
  headers: Record<string, string>;
  body?: unknown;
  method?: string;
  /** The session's own id, which the answer's headers show as `<own>`. */
  ownSession?: string;
  signal?: AbortSignal;
}

/**
 * Sends one raw request. The answer is normalised: the session's own id reads `<own>`, the app's
 * origin `<origin>` (in the headers and the body, where a 401 names the metadata URL); date, the
 * random request id and the ETag (a hash of the body before that) are dropped. No answer, on
 * either path, ever carries the caller's token or the signing secret: that is asserted here, for
 * every answer.
 */
export async function sendRaw(url: string, request: RawRequest): Promise<Seen> {
  const { token, body, method = 'POST', ownSession, signal } = request;
  const all: Record<string, string> = { authorization: `Bearer ${token}`, ...request.headers };
  const response = await fetch(url, {
    method,
    headers: Object.entries(all).filter(([, value]) => value !== ''),
    ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
    ...(signal === undefined ? {} : { signal }),
  });
  const origin = new URL(url).origin;
  const text = (await response.text()).replaceAll(origin, '<origin>');
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) {
    if (name === 'date' || name === 'x-request-id' || name === 'etag') continue;
    if (name === 'mcp-session-id' && value === ownSession) headers[name] = '<own>';
    else headers[name] = value.replaceAll(origin, '<origin>');
  }
  for (const secret of [token, STACK_JWT_SECRET]) {
    expect(text).not.toContain(secret);
    expect(JSON.stringify(headers)).not.toContain(secret);
  }
  return { status: response.status, headers, text };
}

const parsed = (text: string): unknown => (text === '' ? undefined : JSON.parse(text));

/** Same status, headers, parsed body and raw text. */
export function expectSameAnswer(direct: Seen, viaSdk: Seen): void {
  expect(direct.status).toBe(viaSdk.status);
  expect(direct.headers).toEqual(viaSdk.headers);
  expect(parsed(direct.text)).toEqual(parsed(viaSdk.text));
  expect(direct.text).toBe(viaSdk.text);
}

/** A JSON-RPC tools/call request. */
export const rpc = (id: unknown, params: unknown) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params,
});

/** tools/call params for echo_tool. */
export const echo = (args: unknown) => ({ name: 'echo_tool', arguments: args });
