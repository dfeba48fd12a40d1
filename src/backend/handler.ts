import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createTenantVerifier } from '../tenant-headers/index.ts';
import { createAuthenticator, type Principal } from './auth.ts';
import { ENTITY_BY_PATH, type EntitySpec } from './entities.ts';
import { BodyTooLarge, readBody, sendError, sendText, type Exchange } from './http.ts';
import { GO_RATE_LIMIT, createRateLimiter, type RateLimitConfig } from './rate-limit.ts';
import * as rest from './rest.ts';
import { SESSION_TTL_MS, createSessionStore } from './sessions.ts';
import { createItemStore } from './store.ts';
import * as sync from './sync-routes.ts';
import { createTokenExchange } from './token-exchange.ts';

/**
 * The embedded ToolBridge API: the Go API's routes and middleware order (CONTRACT.md B.1) over
 * in-memory state. Global steps: correlation id, routing (404/405 answer before any auth), then
 * for the authenticated group JWT → tenant headers → per-group session, rate-limit and epoch
 * checks → handler. A throwing handler is answered 500 and the process goes on, as chi's
 * Recoverer does. POST /auth/token-exchange (E.4) authenticates the token it exchanges itself.
 */

export interface BackendOptions {
  port?: number;
  host?: string;
  /** Go JWT_HS256_SECRET. */
  jwtSecret: string;
  /** Go TENANT_HEADER_SECRET: when set, X-TB-* headers are verified on every authenticated route. */
  tenantHeaderSecret?: string | undefined;
  /** Go ENV=dev: X-Debug-Sub accepted when no bearer token is sent. */
  devMode?: boolean;
  /**
   * `https://<AUTH0_DOMAIN>/` (CONTRACT.md B.2) or JWT_ISSUER (E.3): when set, every token must
   * name this issuer, and contain `audience` when that is set, except backend tokens.
   */
  issuer?: string | undefined;
  /** AUTH0_AUDIENCE or JWT_AUDIENCE; needs `issuer`. */
  audience?: string | undefined;
  /** `false`: the API before backend tokens (a42eec7), where iss/aud bind every token. */
  backendTokens?: boolean | undefined;
  now?: () => number;
  rateLimit?: RateLimitConfig;
  sessionTtlMs?: number;
  /** Told about requests that failed unexpectedly (answered 500). */
  onError?: (error: unknown) => void;
}

type Group = 'sessions' | 'rest' | 'session-only';
type Handler = (exchange: Exchange, principal: Principal, body: () => Promise<string>) => unknown;
type Route =
  | { kind: 'public'; run: (exchange: Exchange) => void | Promise<void> }
  | { kind: 'private'; group: Group; run: Handler }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string[] };

export function createBackendHandler(options: BackendOptions) {
  const now = options.now ?? Date.now;
  const rateLimitConfig = options.rateLimit ?? GO_RATE_LIMIT;
  const authenticate = createAuthenticator({
    jwtSecret: options.jwtSecret,
    devMode: options.devMode ?? false,
    issuer: options.issuer,
    audience: options.audience,
    backendTokens: options.backendTokens,
    now,
  });
  const tokenExchange = createTokenExchange({ jwtSecret: options.jwtSecret, now });
  const secret = options.tenantHeaderSecret;
  const verifyTenant =
    secret === undefined || secret === '' ? undefined : createTenantVerifier({ secret, now });
  const sessions = createSessionStore(now, options.sessionTtlMs ?? SESSION_TTL_MS);
  const store = createItemStore(now);
  const restLimiter = createRateLimiter(rateLimitConfig, now);

  const byMethod = (method: string, handlers: Partial<Record<string, Route>>): Route =>
    handlers[method] ?? { kind: 'method-not-allowed', allow: Object.keys(handlers) };

  const restRoute = (entity: EntitySpec, run: (request: rest.RestRequest) => unknown): Route => ({
    kind: 'private',
    group: 'rest',
    run: (exchange, principal, body) =>
      run({ exchange, userId: principal.userId, entity, store, body }),
  });

  function route(method: string, segments: readonly string[]): Route {
    const [first, second, third, fourth, fifth, ...extra] = segments;
    if (segments.length === 1 && first === 'healthz') {
      return byMethod(method, { GET: { kind: 'public', run: healthz } });
    }
    if (segments.length === 2 && first === 'auth' && second === 'token-exchange') {
      // Outside the tenant-header group (E.5 lists the sync and REST routes): the handler
      // authenticates the token it exchanges itself.
      return byMethod(method, {
        POST: {
          kind: 'public',
          run: async (exchange) => {
            await tokenExchange(exchange, await authenticate(exchange.req), () =>
              readBody(exchange.req),
            );
          },
        },
      });
    }
    if (first !== 'v1' || second === undefined || extra.length > 0) return { kind: 'not-found' };
    if (second === 'sync') {
      const only = (group: Group, run: Handler, verb = 'GET') =>
        byMethod(method, { [verb]: { kind: 'private', group, run } });
      if (segments.length === 3 && third === 'info') {
        return byMethod(method, {
          GET: {
            kind: 'public',
            run: (exchange) => {
              sync.syncInfo(exchange, now(), rateLimitConfig);
            },
          },
        });
      }
      if (segments.length === 3 && third === 'sessions') {
        return only(
          'sessions',
          (exchange, principal) => {
            sync.createSession(exchange, principal, sessions);
          },
          'POST',
        );
      }
      if (segments.length === 4 && third === 'sessions' && fourth !== undefined) {
        return byMethod(method, {
          GET: {
            kind: 'private',
            group: 'sessions',
            run: (ex, p) => {
              sync.showSession(ex, p, sessions, fourth);
            },
          },
          DELETE: {
            kind: 'private',
            group: 'sessions',
            run: (ex, p) => {
              sync.endSession(ex, p, sessions, fourth);
            },
          },
        });
      }
      if (segments.length === 3 && third === 'wipe') {
        return only(
          'session-only',
          async (ex, p, body) => {
            sync.wipe(ex, p, sessions, store, await body());
          },
          'POST',
        );
      }
      if (segments.length === 3 && third === 'state') {
        return only('session-only', (ex, p) => {
          sync.syncState(ex, p, sessions);
        });
      }
      return { kind: 'not-found' };
    }
    const entity = ENTITY_BY_PATH.get(second);
    if (entity === undefined) return { kind: 'not-found' };
    if (third === undefined) {
      return byMethod(method, {
        GET: restRoute(entity, rest.list),
        POST: restRoute(entity, rest.create),
      });
    }
    if (fourth === undefined) {
      return byMethod(method, {
        GET: restRoute(entity, (r) => {
          rest.get(r, third);
        }),
        PUT: restRoute(entity, (r) => rest.replace(r, third)),
        PATCH: restRoute(entity, (r) => rest.patch(r, third)),
        DELETE: restRoute(entity, (r) => {
          rest.remove(r, third);
        }),
      });
    }
    if (fifth !== undefined) return { kind: 'not-found' };
    if (fourth === 'archive')
      return byMethod(method, {
        POST: restRoute(entity, (r) => {
          rest.archive(r, third);
        }),
      });
    if (fourth === 'process')
      return byMethod(method, { POST: restRoute(entity, (r) => rest.process(r, third)) });
    return { kind: 'not-found' };
  }

  async function serve(exchange: Exchange, segments: readonly string[]): Promise<void> {
    const { req, res } = exchange;
    const found = route(req.method ?? 'GET', segments);
    switch (found.kind) {
      case 'not-found': {
        sendText(exchange, 404, '404 page not found');
        return;
      }
      case 'method-not-allowed':
        res.writeHead(405, { Allow: found.allow, 'Content-Length': 0 });
        res.end();
        return;
      case 'public':
        await found.run(exchange);
        return;
      case 'private':
        break;
    }
    const principal = await authenticate(req);
    if (principal === undefined) {
      sendText(exchange, 401, 'unauthorized');
      return;
    }
    if (verifyTenant !== undefined && !verifyTenant(req.headers).ok) {
      sendText(exchange, 401, 'Unauthorized: invalid tenant headers');
      return;
    }
    if (found.group !== 'sessions' && !sync.requireSession(exchange, principal, sessions)) return;
    if (found.group === 'rest') {
      const decision = restLimiter(principal.userId);
      for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
      if (!decision.allowed) {
        res.setHeader('Retry-After', String(decision.retryAfterSeconds));
        sendError(
          exchange,
          429,
          `Rate limit exceeded. Please retry after ${decision.retryAfterSeconds} seconds.`,
        );
        return;
      }
      if (!sync.requireEpoch(exchange, principal, sessions)) return;
    }
    await found.run(exchange, principal, () => readBody(req));
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const requested = req.headers['x-correlation-id'];
    const correlationId =
      typeof requested === 'string' && requested !== '' ? requested : randomUUID();
    res.setHeader('X-Correlation-ID', correlationId);
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    const exchange: Exchange = { req, res, correlationId, query };
    let segments: string[];
    try {
      segments = path.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return sendText(exchange, 400, '400 Bad Request');
    }
    serve(exchange, segments).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof BodyTooLarge) {
        res.setHeader('Connection', 'close');
        sendError(exchange, 413, 'request body too large');
      } else {
        options.onError?.(error);
        res.writeHead(500, { 'Content-Length': 0 });
        res.end();
      }
    });
  };
}

function healthz({ res }: Exchange): void {
  // Go writes "ok" without a Content-Type and lets net/http sniff it.
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2 });
  res.end('ok');
}
