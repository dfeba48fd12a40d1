/**
 * The SDK `Transport` of one 2025-era Streamable HTTP session, in JSON-response mode: the SDK's
 * protocol layer (a `Server` connected to it) does the dispatch, errors and cancellation; this
 * only routes messages between HTTP exchanges and that protocol instance. session-http.ts does
 * the HTTP checks before a POST's messages get here.
 *
 * Each POST that carries requests is an exchange: it ends when every one of its requests has its
 * response or was cancelled. Responses find their exchange by id; other messages tied to a
 * request (`relatedRequestId`: progress, logging) are dropped, as the SDK's transport drops them
 * in JSON-response mode, since a JSON answer has no place for them; messages tied to no request
 * go to the session's GET stream when one is open.
 *
 * The protocol layer sends nothing for a request it cancelled (`notifications/cancelled`), so the
 * exchange stops waiting for it here: a POST whose requests were all cancelled ends 202 with no
 * body, a batch answers its other requests. A client that leaves mid-call cancels its requests
 * the same way, through the protocol layer, so the call's signal fires. When the session ends
 * (DELETE, eviction, shutdown), the protocol layer aborts every call and each open POST ends 404
 * "Session not found".
 */
import type { ServerResponse } from 'node:http';
import type {
  AuthInfo,
  JSONRPCMessage,
  JSONRPCNotification,
  MessageExtraInfo,
  RequestId,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/server';

/** How a POST's exchange ended. */
export type Answer =
  | { readonly kind: 'json'; readonly body: JSONRPCMessage | JSONRPCMessage[] }
  | { readonly kind: 'accepted' }
  | { readonly kind: 'ended'; readonly id: RequestId | null }
  | { readonly kind: 'gone' };

const ACCEPTED: Answer = { kind: 'accepted' };
const GONE: Answer = { kind: 'gone' };
const KEEPALIVE_MS = 15_000;

interface Exchange {
  readonly ids: readonly RequestId[];
  /** Per request, in order: its response, `null` once cancelled, undefined while running. */
  readonly replies: (JSONRPCMessage | null | undefined)[];
  open: number;
  readonly finish: (answer: Answer) => void;
}

const isRequest = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId; method: string } =>
  'method' in m && 'id' in m;
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id?: RequestId } =>
  'result' in m || 'error' in m;
/** The id a `notifications/cancelled` names (the message passed the SDK's schema). */
function cancelledId(m: JSONRPCMessage): RequestId | undefined {
  if (!('method' in m) || m.method !== 'notifications/cancelled' || 'id' in m) return undefined;
  const id: unknown = m.params?.['requestId'];
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

export class SessionTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage, extra?: MessageExtraInfo) => void) | undefined;
  /** Set by the protocol layer when `initialize` settles a version. */
  protocolVersion: string | undefined;
  /** The versions the connected protocol instance speaks (MCP-Protocol-Version header check). */
  supportedVersions: readonly string[] = [];
  private readonly running = new Map<RequestId, { exchange: Exchange; index: number }>();
  private stream: ServerResponse | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;

  readonly sessionId: string;

  constructor(sessionId: string) {
    this.sessionId = sessionId;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  setSupportedProtocolVersions(versions: string[]): void {
    this.supportedVersions = versions;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether a request with this id is running: a second one must not take its answer. */
  isRunning(id: RequestId): boolean {
    return this.running.has(id);
  }

  /**
   * Hands a POST's checked messages to the protocol instance; resolves once its answer is known.
   * `signal` fires when the client leaves: its requests are then cancelled.
   */
  deliver(
    messages: readonly JSONRPCMessage[],
    authInfo: AuthInfo | undefined,
    signal: AbortSignal,
  ): Promise<Answer> {
    if (this.closed) return Promise.resolve({ kind: 'ended', id: null });
    const extra: MessageExtraInfo = authInfo === undefined ? {} : { authInfo };
    const ids: RequestId[] = [];
    for (const message of messages) if (isRequest(message)) ids.push(message.id);
    if (ids.length === 0) {
      for (const message of messages) this.receive(message, extra);
      return Promise.resolve(ACCEPTED);
    }
    const { promise, resolve } = Promise.withResolvers<Answer>();
    const exchange: Exchange = {
      ids,
      replies: ids.map(() => undefined),
      open: ids.length,
      finish: resolve,
    };
    ids.forEach((id, index) => this.running.set(id, { exchange, index }));
    const left = () => {
      for (const id of ids) this.cancel(id, 'client disconnected', extra);
      resolve(GONE);
    };
    if (signal.aborted) left();
    else {
      signal.addEventListener('abort', left, { once: true });
      void promise.then(() => signal.removeEventListener('abort', left));
      for (const message of messages) this.receive(message, extra);
    }
    return promise;
  }

  /** Opens the session's server→client stream; false when one is open already. */
  openStream(res: ServerResponse): boolean {
    if (this.stream !== undefined) return false;
    this.stream = res;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'mcp-session-id': this.sessionId,
    });
    res.flushHeaders();
    this.keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    res.once('close', () => {
      if (this.stream !== res) return;
      clearInterval(this.keepalive);
      this.stream = undefined;
    });
    return true;
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (isResponse(message)) {
      const slot = message.id === undefined ? undefined : this.running.get(message.id);
      if (slot !== undefined) this.settle(slot.exchange, slot.index, message);
    } else if (options?.relatedRequestId === undefined && this.stream !== undefined) {
      this.stream.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const exchanges = new Set(Array.from(this.running.values(), (slot) => slot.exchange));
    this.running.clear();
    for (const { ids, finish } of exchanges) {
      finish({ kind: 'ended', id: ids.length === 1 ? (ids[0] ?? null) : null });
    }
    clearInterval(this.keepalive);
    this.stream?.end();
    this.stream = undefined;
    this.onclose?.();
    return Promise.resolve();
  }

  private receive(message: JSONRPCMessage, extra: MessageExtraInfo): void {
    const cancelled = cancelledId(message);
    // The protocol layer aborts the call and will send nothing for it: its exchange stops waiting.
    if (cancelled !== undefined) this.forget(cancelled);
    this.onmessage?.(message, extra);
  }

  /** Cancels a running request through the protocol layer, as the client's notification would. */
  private cancel(id: RequestId, reason: string, extra: MessageExtraInfo): void {
    if (!this.running.has(id)) return;
    const notification: JSONRPCNotification = {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: id, reason },
    };
    this.receive(notification, extra);
  }

  private forget(id: RequestId): void {
    const slot = this.running.get(id);
    if (slot !== undefined) this.settle(slot.exchange, slot.index, null);
  }

  private settle(exchange: Exchange, index: number, reply: JSONRPCMessage | null): void {
    const id = exchange.ids[index];
    if (id !== undefined) this.running.delete(id);
    exchange.replies[index] = reply;
    exchange.open -= 1;
    if (exchange.open > 0) return;
    const answered = exchange.replies.filter(
      (r): r is JSONRPCMessage => r !== null && r !== undefined,
    );
    if (answered.length === 0) exchange.finish(ACCEPTED);
    else if (exchange.ids.length === 1 && answered[0] !== undefined) {
      exchange.finish({ kind: 'json', body: answered[0] });
    } else exchange.finish({ kind: 'json', body: answered });
  }
}
