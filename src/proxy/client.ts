import type { Dispatcher, Pool } from 'undici';
import { AppError } from '../errors.ts';
import { createTenantSigner, toWireValue, type TenantSigner } from '../tenant-headers/index.ts';
import { createDeadlines } from './deadline.ts';
import {
  asSessionFailure,
  badResponseError,
  deadlineError,
  httpError,
  sessionHttpError,
  transportError,
  type FailureContext,
} from './errors.ts';
import { createCredentials, credentialShapes, sessionKey } from './credentials.ts';
import { exchange } from './exchange.ts';
import { logExchange, type ExchangeNote, type SessionUse } from './exchange-log.ts';
import { createLru } from '../lru.ts';
import { resolveOptions, type UpstreamOptions } from './options.ts';
import { createPool } from './pool.ts';
import { isSuccess, parseJson, sessionRejected, type RawReply } from './reply.ts';
import { createSessionCache, type SyncSession } from './session-cache.ts';
import { readSession } from './session.ts';
import { TOKEN_EXCHANGE_PATH } from './token-exchange.ts';
import type { BackendIdentity, ExchangedIdentity, HttpMethod, Upstream } from './types.ts';
import { parseBaseUrl, requestTarget } from './url.ts';

const SESSIONS_PATH = '/v1/sync/sessions';
/** Signers hold a derived key per tenant; even the multi-tenant mode has few tenants. */
const MAX_CACHED_SIGNERS = 1_000;

type Headers = Record<string, string>;

function dispatcherFor(
  injected: Dispatcher | undefined,
  makePool: () => Pool,
): { pool: Pool | undefined; dispatcher: Dispatcher } {
  if (injected !== undefined) return { pool: undefined, dispatcher: injected };
  const pool = makePool();
  return { pool, dispatcher: pool };
}

/**
 * The upstream client: one pool for the backend origin, X-TB-* signed per request, sync sessions
 * cached per backend identity (CONTRACT.md A.2 steps 5–7, improved on trap 1).
 */
export function createUpstream(options: UpstreamOptions): Upstream {
  const base = parseBaseUrl(options.baseUrl);
  const settings = resolveOptions(options);
  const { now, toolTimeoutMs, connectTimeoutMs } = settings;
  // An injected dispatcher stays its owner's; only a pool made here is ours to report and close.
  const { pool, dispatcher } = dispatcherFor(options.dispatcher, () =>
    createPool(base.origin, { connectTimeoutMs, toolTimeoutMs }),
  );
  const apiHost = new URL(base.origin).host;
  const signers = createLru<TenantSigner>(MAX_CACHED_SIGNERS);
  const sessions = createSessionCache({
    now,
    refreshMarginMs: settings.sessionRefreshMarginMs,
    maxEntries: settings.maxCachedSessions,
  });
  const deadlines = createDeadlines();
  let closing: Promise<void> | undefined;
  let cut = false;

  function signerFor(tenantId: string): TenantSigner {
    let signer = signers.get(tenantId);
    if (signer === undefined) {
      signer = createTenantSigner({ tenantId, secret: settings.tenantHeaderSecret, now });
      signers.set(tenantId, signer);
    }
    return signer;
  }

  /** `authorization` is read when a failure is reported: an issued one is obtained in the call. */
  const failureContext = (
    authorization: () => string,
    method: string,
    path: string,
    timeoutMs = toolTimeoutMs,
  ): FailureContext => ({
    method,
    path,
    timeoutMs,
    connectTimeoutMs,
    // The API's own address too: a client needs the method and path, not where the API runs.
    get secrets() {
      return [
        ...credentialShapes(authorization()),
        settings.tenantHeaderSecret,
        base.origin,
        apiHost,
      ];
    },
  });

  /** Whether this call's exchanges get a DEBUG line (checked once per call). */
  const debugging = () => options.logger?.isLevelEnabled('debug') === true;

  async function send(
    target: string,
    method: HttpMethod,
    headers: Headers,
    body: string | undefined,
    signal: AbortSignal,
    note: ExchangeNote | undefined,
  ): Promise<RawReply> {
    const started = performance.now();
    let reply: RawReply | undefined;
    try {
      // The whole body, errors included: the socket goes back to the pool only then.
      reply = await exchange(
        dispatcher,
        { origin: base.origin, path: target, method, headers, body },
        signal,
        settings.maxResponseBytes,
      );
      return reply;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      options.onExchange?.({ method, status: reply?.status, seconds });
      if (note !== undefined && options.logger !== undefined) {
        logExchange(options.logger, note, { method, target, headers, body, reply, seconds });
      }
    }
  }

  /** POST /auth/token-exchange: the only request that carries the caller's own token then. */
  function postTokenExchange(
    identity: ExchangedIdentity,
    body: string,
    signal: AbortSignal,
  ): Promise<RawReply> {
    const signed = signerFor(identity.tenantId).headers();
    const headers: Headers = {
      'User-Agent': settings.userAgent,
      Accept: 'application/json',
      Authorization: identity.callerAuthorization,
      'Content-Type': 'application/json',
      ...signed,
    };
    const note = debugging()
      ? { tenantId: identity.tenantId, signed, session: 'none' as const }
      : undefined;
    return send(`${base.prefix}${TOKEN_EXCHANGE_PATH}`, 'POST', headers, body, signal, note);
  }

  const credentials = createCredentials(options, {
    now,
    post: postTokenExchange,
    context: (identity, timeoutMs) =>
      failureContext(() => identity.callerAuthorization, 'POST', TOKEN_EXCHANGE_PATH, timeoutMs),
  });

  async function openSession(
    identity: BackendIdentity,
    authorization: string,
    signer: TenantSigner,
    correlation: Headers,
    signal: AbortSignal,
    debug: boolean,
  ): Promise<SyncSession> {
    const ctx = failureContext(() => authorization, 'POST', SESSIONS_PATH);
    // Not the caller's deadline: other calls may be waiting on this same creation. `signal`
    // fires when all of them have given up; each of them is bounded by its own deadline.
    const deadline = deadlines.start(toolTimeoutMs, signal);
    const sentAt = now();
    let reply: RawReply;
    try {
      const signed = signer.headers();
      const headers: Headers = {
        'User-Agent': settings.userAgent,
        Accept: 'application/json',
        Authorization: authorization,
        // Sent on session creation only, as the Python proxy did (CONTRACT.md A.2 step 5); with
        // a backend token it sent none (E.4).
        ...(identity.issued !== undefined || identity.subject === ''
          ? {}
          : { 'X-Debug-Sub': toWireValue(identity.subject) }),
        ...correlation,
        ...signed,
      };
      const note = debug
        ? { tenantId: identity.tenantId, signed, session: 'creating' as const }
        : undefined;
      reply = await send(
        `${base.prefix}${SESSIONS_PATH}`,
        'POST',
        headers,
        undefined,
        deadline.signal,
        note,
      );
    } catch (error) {
      throw asSessionFailure(transportError(error, deadline.outcome(), ctx));
    } finally {
      deadline.dispose();
    }
    if (!isSuccess(reply.status)) {
      if (reply.status === 401) credentials.refused(identity);
      throw sessionHttpError(reply, ctx);
    }
    const json = parseJson(reply.text);
    if (!json.ok) {
      throw asSessionFailure(badResponseError(reply, ctx, 'with a body that is not JSON'));
    }
    const session = readSession(json.value, sentAt);
    if (session === undefined) {
      throw asSessionFailure(
        badResponseError(reply, ctx, 'without a session id and an integer epoch'),
      );
    }
    return session;
  }

  return {
    async call(request, identity, callOptions = {}) {
      // Programming errors (bad path, unserialisable body, empty tenant) surface as they are.
      const signer = signerFor(identity.tenantId);
      const target = requestTarget(base.prefix, request);
      const body = request.body === undefined ? undefined : JSON.stringify(request.body);
      const key = sessionKey(identity);
      const correlation: Headers =
        callOptions.correlationId === undefined
          ? {}
          : { 'X-Correlation-ID': toWireValue(callOptions.correlationId) };
      const deadline = deadlines.start(toolTimeoutMs, callOptions.signal);
      const debug = debugging();
      let authorization = identity.issued === undefined ? identity.authorization : '';
      const ctx = failureContext(() => authorization, request.method, request.path);
      let fixedHeaders: Headers | undefined;
      const attempt = async (
        retry: boolean,
      ): Promise<{ session: SyncSession; reply: RawReply }> => {
        // An already-cancelled call must not open a session nobody waits for.
        deadline.signal.throwIfAborted();
        const hadSession = debug && sessions.has(key);
        const mine = { opened: false };
        const session = await sessions.acquire(
          key,
          (signal) => {
            mine.opened = true;
            return openSession(identity, authorization, signer, correlation, signal, debug);
          },
          deadline.signal,
        );
        // Fresh per request, retries included: each one gets its own timestamp.
        const signed = signer.headers();
        const headers: Headers = {
          ...fixedHeaders,
          'X-Sync-Session': session.id,
          'X-Sync-Epoch': String(session.epoch),
          ...signed,
        };
        const use: SessionUse = !mine.opened
          ? 'reused'
          : retry || hadSession
            ? 'refreshed'
            : 'opened';
        const note = debug ? { tenantId: identity.tenantId, signed, session: use } : undefined;
        const reply = await send(target, request.method, headers, body, deadline.signal, note);
        return { session, reply };
      };

      let reply: RawReply;
      try {
        if (identity.issued !== undefined) {
          // A cached (or just minted) token is a string: no await on the steady path.
          const issued = credentials.authorization(identity, deadline.signal);
          authorization = typeof issued === 'string' ? issued : await issued;
        }
        fixedHeaders = {
          'User-Agent': settings.userAgent,
          Accept: 'application/json',
          Authorization: authorization,
          ...(request.ifMatch === undefined ? {} : { 'If-Match': String(request.ifMatch) }),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...correlation,
        };
        const first = await attempt(false);
        reply = first.reply;
        if (sessionRejected(reply)) {
          // Once: a second rejection is reported below as the HTTP error it is.
          sessions.invalidate(key, first.session);
          reply = (await attempt(true)).reply;
        }
      } catch (error) {
        const outcome = deadline.outcome();
        if (outcome !== undefined) throw deadlineError(outcome, ctx, error);
        if (error instanceof AppError) throw error;
        throw transportError(error, undefined, ctx);
      } finally {
        deadline.dispose();
      }

      if (!isSuccess(reply.status)) {
        if (reply.status === 401) credentials.refused(identity);
        throw httpError(reply, ctx);
      }
      if (reply.status === 204) return { status: reply.status, body: null };
      const json = parseJson(reply.text);
      if (!json.ok) throw badResponseError(reply, ctx, 'with a body that is not JSON');
      return { status: reply.status, body: json.value };
    },

    poolStats() {
      if (pool === undefined) return undefined;
      const { connected, free, pending, queued, running } = pool.stats;
      return { connected, free, pending, queued, running };
    },

    cut() {
      deadlines.cutAll();
      credentials.stop();
      cut = true;
    },

    close() {
      // Exchanges nobody waits for any more would hold the pool open for their timeout.
      credentials.stop();
      if (pool === undefined) return Promise.resolve();
      // After a cut nothing on the pool is worth waiting for: close() would wait out a TCP
      // connect still in progress (up to the connect timeout), so the pool is destroyed.
      closing ??= cut ? pool.destroy() : pool.close();
      return closing;
    },
  };
}
