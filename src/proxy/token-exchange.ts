import { z } from 'zod';
import { AppError } from '../errors.ts';
import { createLru } from '../lru.ts';
import {
  asTokenFailure,
  badResponseError,
  tokenHttpError,
  transportError,
  type FailureContext,
} from './errors.ts';
import { subjectKey } from './mint.ts';
import { isSuccess, parseJson, type RawReply } from './reply.ts';
import type { ExchangedIdentity } from './types.ts';

/**
 * TOOLBRIDGE_BACKEND_AUTH=exchange: the newer Go API's own token exchange (CONTRACT.md E.4) turns
 * the caller's token into a backend token, which is cached per subject and tenant until shortly
 * before its `expires_in` (the Python proxy kept it forever, stale after an hour). Concurrent
 * calls for one user share one exchange; the caller's token goes to this route only.
 */

export const TOKEN_EXCHANGE_PATH = '/auth/token-exchange';
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** CONTRACT.md E.4: the Python proxy gave the exchange 10 s. */
export const TOKEN_EXCHANGE_TIMEOUT_MS = 10_000;
/** For an answer without `expires_in`: as long as a minted token lives. */
const DEFAULT_EXPIRES_IN_SECONDS = 300;
/** Replaced this long before it expires (or at half its life, if shorter). */
const RENEW_BEFORE_MS = 60_000;
const MAX_CACHED_TOKENS = 10_000;

export interface TokenExchangeOptions {
  /** The `audience` asked for (TOOLBRIDGE_BACKEND_JWT_AUDIENCE, else the API's base URL). */
  readonly audience: string;
  /** How long one exchange may take (default 10 s). */
  readonly timeoutMs?: number | undefined;
}

export interface TokenExchangeDeps {
  readonly now: () => number;
  /** Sends the exchange request with the caller's Authorization and signed tenant headers. */
  readonly post: (
    identity: ExchangedIdentity,
    body: string,
    signal: AbortSignal,
  ) => Promise<RawReply>;
  /** What a failure may say: the credentials to scrub from it. */
  readonly context: (identity: ExchangedIdentity, timeoutMs: number) => FailureContext;
  readonly maxEntries?: number;
}

export interface TokenExchanger {
  /** `Bearer <backend token>` for this identity: cached, being fetched, or fetched now. */
  authorization(identity: ExchangedIdentity, signal: AbortSignal): string | Promise<string>;
  /** Drops the cached token (the API refused it), so the next call exchanges again. */
  forget(identity: ExchangedIdentity): void;
  /** Ends exchanges in flight: nobody will use their tokens (the gateway is stopping). */
  stop(): void;
}

/** RFC 8693 §2.2.1; token_type is case-insensitive (RFC 6749 §7.1). */
const ExchangeAnswer = z.object({
  access_token: z.string().regex(/^[\x21-\x7e]+$/),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.number().positive().optional(),
});

interface Exchanged {
  readonly authorization: string;
  readonly renewAtMs: number;
}

const waitAborted = (): DOMException => new DOMException('stopped waiting', 'AbortError');

export function createTokenExchanger(
  options: TokenExchangeOptions,
  deps: TokenExchangeDeps,
): TokenExchanger {
  const timeoutMs = options.timeoutMs ?? TOKEN_EXCHANGE_TIMEOUT_MS;
  const body = JSON.stringify({ audience: options.audience, grant_type: GRANT_TYPE });
  const cache = createLru<Exchanged>(deps.maxEntries ?? MAX_CACHED_TOKENS);
  const inflight = new Map<string, Promise<Exchanged>>();
  const stopping = new AbortController();

  async function fetchToken(identity: ExchangedIdentity): Promise<Exchanged> {
    const ctx = deps.context(identity, timeoutMs);
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]);
    const sentAt = deps.now();
    let reply: RawReply;
    try {
      reply = await deps.post(identity, body, signal);
    } catch (error) {
      const outcome = !signal.aborted
        ? undefined
        : stopping.signal.aborted
          ? 'shutdown'
          : 'timeout';
      throw asTokenFailure(transportError(error, outcome, ctx));
    }
    if (!isSuccess(reply.status)) throw tokenHttpError(reply, ctx);
    const json = parseJson(reply.text);
    const answer = json.ok ? ExchangeAnswer.safeParse(json.value) : undefined;
    if (answer?.success !== true) {
      throw asTokenFailure(
        badResponseError(reply, ctx, 'without an access_token, a Bearer token_type and expires_in'),
      );
    }
    const lifetimeMs = (answer.data.expires_in ?? DEFAULT_EXPIRES_IN_SECONDS) * 1000;
    return {
      authorization: `Bearer ${answer.data.access_token}`,
      // Counted from before the request: the API's clock started the lifetime later than that.
      renewAtMs: sentAt + lifetimeMs - Math.min(RENEW_BEFORE_MS, lifetimeMs / 2),
    };
  }

  function start(key: string, identity: ExchangedIdentity): Promise<Exchanged> {
    const done = () => {
      if (inflight.get(key) === pending) inflight.delete(key);
    };
    const pending: Promise<Exchanged> = fetchToken(identity).then(
      (exchanged) => {
        done();
        cache.set(key, exchanged);
        return exchanged;
      },
      (error: unknown) => {
        done();
        throw error;
      },
    );
    inflight.set(key, pending);
    return pending;
  }

  /** One caller's wait: it may give up (its deadline) while the exchange goes on for others. */
  function wait(pending: Promise<Exchanged>, signal: AbortSignal): Promise<string> {
    if (signal.aborted) return Promise.reject(waitAborted());
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => {
        reject(waitAborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(
        (exchanged) => {
          signal.removeEventListener('abort', onAbort);
          resolve(exchanged.authorization);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(
            error instanceof Error ? error : new AppError('BACKEND_TOKEN_FAILED', String(error)),
          );
        },
      );
    });
  }

  return {
    authorization(identity, signal) {
      const key = subjectKey(identity.tenantId, identity.subject);
      const cached = cache.get(key);
      if (cached !== undefined && deps.now() < cached.renewAtMs) return cached.authorization;
      return wait(inflight.get(key) ?? start(key, identity), signal);
    },
    forget(identity) {
      cache.delete(subjectKey(identity.tenantId, identity.subject));
    },
    stop() {
      stopping.abort(new DOMException('the gateway is stopping', 'AbortError'));
    },
  };
}
