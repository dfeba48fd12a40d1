/**
 * End-to-end harness: the embedded ToolBridge API behind a recording, fault-injectable front, and
 * the gateway in front of that, all on loopback with ephemeral ports. Every request the gateway
 * makes upstream lands in `front.requests` (the front is the gateway's only upstream).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  IncomingMessage,
  createServer,
  request,
  type IncomingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/client';
import { SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { ScopeSettings } from '../../src/auth/scopes.ts';
import { createBackendHandler, type BackendOptions } from '../../src/backend/index.ts';
import { startGateway, type GatewaySettings, type RunningGateway } from '../../src/gateway.ts';
import type { Logger } from '../../src/log.ts';
import type { HttpTimeouts } from '../../src/http/server.ts';
import { parseRateLimits } from '../../src/limits/rules.ts';
import { freePort } from '../../bench/lib/processes.ts';
import { gatewayLogger } from '../helpers/log-capture.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { recordText, registerSecret } from '../helpers/secret-ledger.ts';

export const SESSIONS_PATH = '/v1/sync/sessions';
export const TENANT = 'tenant-e2e';

/** A fresh secret, registered with the secret ledger: no output of the test may carry it. */
export function randomSecret(label: string): string {
  const secret = `${label}-${randomBytes(24).toString('hex')}`;
  registerSecret(secret);
  return secret;
}

/** JSON.parse typed as unknown, so callers have to narrow. */
export const parseJson = (text: string): unknown => JSON.parse(text);

// ---------------------------------------------------------------------------------------------
// The recording front

export interface Recorded {
  readonly method: string;
  /** Path without the query string, as sent (percent-encoding kept). */
  readonly path: string;
  /** Query parameters in the order sent, decoded. */
  readonly query: readonly (readonly [string, string])[];
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  readonly body: unknown;
  /** Set when the client's socket closed before the answer was complete. */
  aborted: boolean;
  /** Set when the front finished its answer. */
  answered: boolean;
}

export type FaultAction =
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly body: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Holds the request back, then lets the backend answer (unless the client gave up). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** A 2xx whose body is not JSON. */
  | { readonly kind: 'invalidJson'; readonly status?: number }
  /** Destroys the socket without an answer. */
  | { readonly kind: 'destroy' };

export interface Fault {
  readonly method?: string;
  /** Exact path, or a pattern. */
  readonly path?: string | RegExp;
  /** Applies to this many matching requests (default: every one until cleared). */
  readonly times?: number;
  readonly action: FaultAction;
}

export interface Front {
  readonly url: string;
  readonly requests: readonly Recorded[];
  arm(fault: Fault): void;
  clearFaults(): void;
  /** Replaces the backend with a fresh one: sessions and data are gone, as after a restart. */
  restartBackend(): void;
  /** Requests other than POST /v1/sync/sessions. */
  dataRequests(): Recorded[];
  sessionPosts(): Recorded[];
  /** Resolves when a recorded request matching `predicate` has been aborted by its client. */
  waitForAbort(predicate: (request: Recorded) => boolean, timeoutMs?: number): Promise<Recorded>;
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
}

function headerRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function tryJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

/** A fresh request object carrying the already-read body, for the wrapped backend handler. */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new IncomingMessage(req.socket);
  copy.method = req.method ?? 'GET';
  copy.url = req.url ?? '/';
  copy.headers = req.headers;
  copy.httpVersion = req.httpVersion;
  // Otherwise destroying the copy (autoDestroy at its end) would destroy the shared socket.
  copy.complete = true;
  copy.push(body);
  copy.push(null);
  return copy;
}

function matches(fault: Fault, request: Recorded): boolean {
  if (fault.method !== undefined && fault.method !== request.method) return false;
  if (fault.path === undefined) return true;
  return typeof fault.path === 'string'
    ? fault.path === request.path
    : fault.path.test(request.path);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export interface FrontOptions {
  readonly jwtSecret: string;
  readonly tenantHeaderSecret: string;
  /** The embedded API's issuer and audience rule (CONTRACT.md B.2, E.3). */
  readonly backend?: Pick<BackendOptions, 'issuer' | 'audience' | 'backendTokens'>;
}

/** Starts the recording front (with its embedded backend) on loopback; closed after the test. */
export async function startFront(options: FrontOptions): Promise<Front> {
  const newBackend = () =>
    createBackendHandler({
      ...options.backend,
      jwtSecret: options.jwtSecret,
      tenantHeaderSecret: options.tenantHeaderSecret,
    });
  let backend = newBackend();
  const requests: Recorded[] = [];
  const faults: { fault: Fault; left: number }[] = [];
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of listeners) listener();
  };

  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) if (Buffer.isBuffer(chunk)) chunks.push(chunk);
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://front.invalid');
      const rawUrl = req.url ?? '/';
      const queryAt = rawUrl.indexOf('?');
      const rawBody = raw.toString('utf8');
      const record: Recorded = {
        method: req.method ?? 'GET',
        path: queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt),
        query: [...url.searchParams.entries()],
        headers: headerRecord(req.headers),
        rawBody,
        body: tryJson(rawBody),
        aborted: false,
        answered: false,
      };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true;
        else record.answered = true;
        notify();
      });
      notify();

      const armed = faults.find((entry) => entry.left > 0 && matches(entry.fault, record));
      if (armed !== undefined) armed.left -= 1;
      const action = armed?.fault.action;
      if (action?.kind === 'respond') {
        sendJson(res, action.status, action.body, action.headers);
        return;
      }
      if (action?.kind === 'invalidJson') {
        sendJson(res, action.status ?? 200, '{"uid": "not json…');
        return;
      }
      if (action?.kind === 'destroy') {
        req.socket.destroy();
        return;
      }
      if (action?.kind === 'delay') {
        // Stops waiting as soon as the client gives up, so no timer outlives the test.
        const gaveUp = new AbortController();
        res.once('close', () => {
          gaveUp.abort();
        });
        await sleep(action.ms, undefined, { signal: gaveUp.signal }).catch(() => undefined);
        if (gaveUp.signal.aborted || res.destroyed || res.writableEnded) return;
      }
      backend(replay(req, raw), res);
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  onCleanup(async () => {
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    server.closeAllConnections();
    await closed;
  });

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const done = check();
      if (done !== undefined) {
        resolve(done);
        return;
      }
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const listener = (): void => {
        const found = check();
        if (found === undefined) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(found);
      };
      listeners.add(listener);
    });

  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    arm(fault) {
      faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults() {
      faults.length = 0;
    },
    restartBackend() {
      backend = newBackend();
    },
    dataRequests: () => requests.filter((r) => !(r.method === 'POST' && r.path === SESSIONS_PATH)),
    sessionPosts: () => requests.filter((r) => r.method === 'POST' && r.path === SESSIONS_PATH),
    waitForAbort: (predicate, timeoutMs = 3_000) =>
      waitFor(
        () => requests.find((r) => r.aborted && predicate(r)),
        timeoutMs,
        'an aborted upstream request',
      ),
    waitForRequests: (n, timeoutMs = 3_000) =>
      waitFor(
        () => (requests.length >= n ? true : undefined),
        timeoutMs,
        `${n} upstream requests`,
      ).then(() => undefined),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

// ---------------------------------------------------------------------------------------------
// Tokens

export interface MintOptions {
  readonly sub?: string;
  readonly tenant?: string | null;
  readonly secret?: string;
  readonly expiresIn?: string | number;
  readonly issuer?: string;
  readonly audience?: string;
  readonly claims?: JWTPayload;
}

export async function mint(secret: string, options: MintOptions = {}): Promise<string> {
  const claims: JWTPayload = { ...options.claims };
  if (options.tenant !== null) claims['tenant_id'] = options.tenant ?? TENANT;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub ?? 'user-1')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h');
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? secret));
}

// ---------------------------------------------------------------------------------------------
// The whole stack

export interface StackOptions {
  readonly toolTimeoutMs?: number;
  readonly pinnedTenant?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Point the gateway somewhere else than the front (e.g. a closed port). */
  readonly upstreamUrl?: string;
  /** A different secret for the backend, so it refuses tokens the gateway accepts. */
  readonly backendJwtSecret?: string;
  readonly maxBodyBytes?: number;
  /** TOOLBRIDGE_JWT_TOKEN: every caller acts as this backend user. */
  readonly sharedToken?: (mint: (options?: MintOptions) => Promise<string>) => Promise<string>;
  readonly maxSessions?: number;
  readonly maxSessionsPerPrincipal?: number;
  readonly maxInflightPerPrincipal?: number;
  readonly sessionIdleSeconds?: number;
  readonly allowedHosts?: readonly string[];
  /** TOOLBRIDGE_JWT_JWKS_URL, beside the HS256 secret. */
  readonly jwksUrl?: string;
  /** TOOLBRIDGE_PORT (default: any free port). */
  readonly port?: number;
  /** TOOLBRIDGE_PUBLIC_BASE_URL: the metadata's resource, and the audience JWKS tokens need. */
  readonly publicBaseUrl?: string;
  /** TOOLBRIDGE_REQUIRED_SCOPES, _READ_SCOPE and _WRITE_SCOPE. */
  readonly scopes?: ScopeSettings;
  /** TOOLBRIDGE_AUTHORIZATION_SERVERS (default: the issuer, with a JWKS). */
  readonly authorizationServers?: readonly string[];
  /** Where the gateway logs (default: nowhere). */
  readonly logger?: Logger;
  readonly httpTimeouts?: HttpTimeouts;
  /** The gateway's clock (tokens, sessions, tenant headers); the real one by default. */
  readonly now?: () => number;
  /** TOOLBRIDGE_RATE_LIMITS, as the variable reads. */
  readonly rateLimits?: string;
}

/** TOOLBRIDGE_RATE_LIMITS text as the gateway's settings take it; a typo fails the test. */
export function rateRules(text: string) {
  const parsed = parseRateLimits(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
}

export interface Stack {
  readonly front: Front;
  readonly gateway: RunningGateway;
  readonly jwtSecret: string;
  readonly tenantHeaderSecret: string;
  /** A valid token for `sub` (default user-1) and the default tenant. */
  token(options?: MintOptions): Promise<string>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const jwtSecret = randomSecret('jwt');
  const tenantHeaderSecret = randomSecret('tenant');
  registerSecret(options.backendJwtSecret);
  const front = await startFront({
    jwtSecret: options.backendJwtSecret ?? jwtSecret,
    tenantHeaderSecret,
  });
  const mintHere = (mintOptions?: MintOptions) => mint(jwtSecret, mintOptions);
  const sharedToken =
    options.sharedToken === undefined ? undefined : await options.sharedToken(mintHere);
  const settings: GatewaySettings = {
    goApiBaseUrl: options.upstreamUrl ?? front.url,
    tenantHeaderSecret,
    auth: {
      mode: 'jwt',
      jwtSecret,
      tenantClaim: 'tenant_id',
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      ...(options.audience === undefined ? {} : { audience: options.audience }),
      ...(options.jwksUrl === undefined ? {} : { jwksUrl: options.jwksUrl }),
    },
    pinnedTenant: options.pinnedTenant,
    sharedToken,
    host: '127.0.0.1',
    port: options.port ?? 0,
    publicBaseUrl: options.publicBaseUrl,
    scopes: options.scopes,
    authorizationServers: options.authorizationServers,
    allowedOrigins: [],
    ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
    toolTimeoutMs: options.toolTimeoutMs ?? 5_000,
    sessionIdleSeconds: options.sessionIdleSeconds ?? 1800,
    maxSessions: options.maxSessions ?? 1000,
    ...(options.maxSessionsPerPrincipal === undefined
      ? {}
      : { maxSessionsPerPrincipal: options.maxSessionsPerPrincipal }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    maxInflightPerPrincipal: options.maxInflightPerPrincipal,
    httpTimeouts: options.httpTimeouts,
    ...(options.rateLimits === undefined ? {} : { rateLimits: rateRules(options.rateLimits) }),
  };
  const gateway = await startGateway(
    settings,
    options.logger ?? gatewayLogger('gateway log (e2e startStack)', settings),
    options.now === undefined ? {} : { now: options.now },
  );
  onCleanup(() => gateway.close());
  return {
    front,
    gateway,
    jwtSecret,
    tenantHeaderSecret,
    token: (mintOptions) =>
      mint(jwtSecret, {
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
        ...mintOptions,
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// MCP clients

export type Era = '2025' | '2026' | 'sse';
export const ERAS: readonly Era[] = ['2025', '2026', 'sse'];

/** An SDK client connected to the gateway with `token`; closed after the test. */
export function connect(baseUrl: string, token: string, era: Era): Promise<Client> {
  return connectWith(baseUrl, `Bearer ${token}`, era);
}

/** Like `connect`, with the Authorization header spelled as given. */
export async function connectWith(
  baseUrl: string,
  authorization: string,
  era: Era,
): Promise<Client> {
  const headers = { Authorization: authorization };
  const client = new Client(
    { name: 'e2e', version: '1.0.0' },
    { versionNegotiation: { mode: era === '2026' ? { pin: '2026-07-28' } : 'legacy' } },
  );
  const transport =
    era === 'sse'
      ? // The legacy transport is what this test is about.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        new SSEClientTransport(new URL(`${baseUrl}/sse`), {
          requestInit: { headers },
          eventSourceInit: {
            fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, ...headers } }),
          },
        })
      : new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
          requestInit: { headers },
        });
  try {
    await client.connect(transport);
  } catch (error) {
    // A refused connection's error carries the gateway's answer.
    recordText(`error connecting (${era})`, error instanceof Error ? error.message : String(error));
    throw error;
  }
  onCleanup(async () => {
    await client.close().catch(() => undefined);
  });
  return client;
}

// ---------------------------------------------------------------------------------------------
// Tool results

const TextContent = z.object({ type: z.literal('text'), text: z.string() });

export const ToolResult = z.object({
  content: z.array(z.unknown()),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
  isError: z.boolean().optional(),
});
export type ToolResult = z.infer<typeof ToolResult>;

export const Item = z.object({
  uid: z.string(),
  version: z.number(),
  updatedAt: z.string(),
  deletedAt: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
});

export const ItemList = z.object({ items: z.array(Item), nextCursor: z.string().nullable() });

/** Calls a tool and checks the result's shape (the SDK types it loosely). */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
  requestOptions: { signal?: AbortSignal; timeout?: number } = {},
): Promise<ToolResult> {
  let result: unknown;
  try {
    result = await client.callTool({ name, arguments: args }, requestOptions);
  } catch (error) {
    recordText(`error calling ${name}`, error instanceof Error ? error.message : String(error));
    throw error;
  }
  const parsed = ToolResult.parse(result);
  if (parsed.isError === true) recordText(`${name} result (isError)`, JSON.stringify(parsed));
  return parsed;
}

/** The single text block of a result. */
export function textOf(result: ToolResult): string {
  const first = TextContent.parse(result.content[0]);
  return first.text;
}

/** A successful result's structuredContent, checked to equal its text as compact JSON. */
export function structuredOf(result: ToolResult): Record<string, unknown> {
  if (result.isError === true) throw new Error(`tool failed: ${textOf(result)}`);
  const structured = result.structuredContent;
  if (structured === undefined) throw new Error('no structuredContent');
  if (textOf(result) !== JSON.stringify(structured)) {
    throw new Error('content[0].text is not the compact JSON of structuredContent');
  }
  return structured;
}

/** Raw HTTP to the gateway, for what the SDK hides (statuses, headers). */
export async function rawRequest(
  url: string,
  init: RequestInit & { headers?: Record<string, string> },
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  recordRefusal(`${init.method ?? 'GET'} ${url}`, response.status, response.headers, text);
  return { status: response.status, headers: response.headers, text, json: tryJson(text) };
}

/** An error answer's body and challenge go to the secret ledger: error texts a client sees. */
function recordRefusal(what: string, status: number, headers: Headers, text: string): void {
  if (status < 400) return;
  const challenge = headers.get('www-authenticate');
  const withChallenge = challenge === null ? text : `WWW-Authenticate: ${challenge}\n${text}`;
  recordText(`answer to ${what} (${status})`, withChallenge);
}

export const MCP_HEADERS = {
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
} as const;

export const initializeBody = (id = 1): string =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1.0.0' },
    },
  });

export interface RawSse {
  readonly status: number;
  /** `/messages/?session_id=…` from the `endpoint` event. */
  readonly endpoint: string;
  readonly sessionId: string;
  /** Reads until a `message` event arrives and returns its data parsed. */
  nextMessage(): Promise<unknown>;
  close(): void;
}

/** Opens GET /sse with plain fetch and reads the `endpoint` event; closed after the test. */
export async function openRawSse(baseUrl: string, token: string): Promise<RawSse> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/sse`, {
    headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const close = (): void => {
    controller.abort();
  };
  onCleanup(() => {
    close();
    return Promise.resolve();
  });
  if (response.body === null) throw new Error('no SSE body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const nextEvent = async (): Promise<{ event: string; data: string }> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data !== undefined) return { event, data };
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('SSE stream ended');
      buffer += value;
    }
  };
  const first = await nextEvent();
  if (first.event !== 'endpoint') throw new Error(`first SSE event was ${first.event}`);
  const sessionId = new URL(first.data, baseUrl).searchParams.get('session_id') ?? '';
  return {
    status: response.status,
    endpoint: first.data,
    sessionId,
    nextMessage: async () => {
      for (;;) {
        const next = await nextEvent();
        if (next.event === 'message') return parseJson(next.data);
      }
    },
    close,
  };
}

/**
 * GET /sse without reading an endless stream: a 200's body is dropped, any other answer is read
 * whole.
 */
export async function probeSse(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { Accept: 'text/event-stream', ...headers },
    redirect: 'manual',
    signal: controller.signal,
  });
  if (response.status === 200) {
    controller.abort();
    return { status: 200, headers: response.headers, text: '', json: undefined };
  }
  const text = await response.text();
  recordRefusal(`GET ${url}`, response.status, response.headers, text);
  return { status: response.status, headers: response.headers, text, json: tryJson(text) };
}

/** One request with node:http, which (unlike fetch) lets a test set the Host header. */
export async function nodeRequest(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  const req = request(url, { method: options.method, headers: options.headers });
  req.end(options.body);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of res) if (Buffer.isBuffer(chunk)) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if ((res.statusCode ?? 0) >= 400) recordText(`answer to ${options.method} ${url}`, text);
  return { status: res.statusCode ?? 0, text };
}
