import express, { type Request, type RequestHandler, type Response } from 'express';
import { METADATA_PATH, resourceMetadata } from './auth/metadata.ts';
import type { ScopePolicy } from './auth/scopes.ts';
import type { ClientVerifier } from './auth/verifier.ts';
import { isServiceKeyBearer } from './auth/on-behalf.ts';
import { authenticate, type AuthenticateOptions } from './http/auth.ts';
import { requestContext, requestIdOf, requestLogger } from './http/context.ts';
import { jsonBody } from './http/json-body.ts';
import { errorFunnel } from './http/errors.ts';
import { addHealthRoutes, type HealthOptions } from './http/health.ts';
import { originGuard } from './http/guards.ts';
import { edgeRateLimit } from './http/rate-limit.ts';
import { rejectionLog } from './http/rejections.ts';
import type { Turn } from './limits/limiter.ts';
import type { Logger } from './log.ts';
import type { FlyReplay } from './mcp/fly-replay.ts';
import type { AuthedRequest, PrincipalCarrier } from './mcp/principal.ts';
import type { SessionRegistry } from './mcp/sessions.ts';
import { MESSAGES_PATH, createSseHandlers } from './mcp/sse.ts';
import type { NewServer } from './mcp/server.ts';
import { createStreamableHandler, type DirectOptions } from './mcp/streamable.ts';

export interface AppDeps {
  logger: Logger;
  verify: ClientVerifier;
  /** Service keys and the identity header (http/auth.ts); unset: service keys are refused. */
  onBehalf?: AuthenticateOptions['onBehalf'];
  newServer: NewServer;
  /** Hands the verified principal to the SDK's handlers (the same carrier newServer reads). */
  principals: PrincipalCarrier;
  /** Given, plain 2026-07-28 tools/calls skip the per-request protocol instance (mcp/direct-stateless.ts). */
  direct?: DirectOptions | undefined;
  /** The `request` rules of TOOLBRIDGE_RATE_LIMITS, checked at the edge (http/rate-limit.ts). */
  limitRequests?: Turn | undefined;
  sessions: SessionRegistry;
  /** Sent as X-TB-Replica on every answer, so a client behind a balancer sees who served it. */
  replicaId?: string | undefined;
  /** On Fly without Redis: session ids name their machine; requests for others' are replayed. */
  flyReplay?: FlyReplay | undefined;
  /** The clock session records are stamped with (default Date.now). */
  now?: (() => number) | undefined;
  allowedOrigins: readonly string[];
  allowedHosts?: readonly string[];
  publicBaseUrl?: string | undefined;
  bindHost: string;
  /** Listed in the RFC 9728 metadata: where clients get tokens (TOOLBRIDGE_AUTHORIZATION_SERVERS). */
  authorizationServers?: readonly string[] | undefined;
  /** TOOLBRIDGE_REQUIRED_SCOPES, checked here; all configured scopes, advertised (default: none). */
  scopes?: ScopePolicy | undefined;
  maxBodyBytes: number;
  health: HealthOptions;
}

/**
 * The HTTP surface: RFC 9728 metadata, Streamable HTTP at /mcp (both eras), and the legacy SSE
 * pair at /sse + /messages/ that the Python service served. Everything MCP is authenticated
 * first; nothing is built per request beyond what the protocol needs.
 */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // /sse and /sse/ are different routes, as in the Python service (Starlette redirects the latter).
  app.set('strict routing', true);
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');

  const baseUrlOf = (req: Request) =>
    deps.publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const json = jsonBody(deps.maxBodyBytes);
  // One warning per 10 s at most: an outage of the key set fails every request that needs it.
  let lastUnavailableWarning = -Infinity;
  const verified = authenticate({
    verify: deps.verify,
    onBehalf: deps.onBehalf,
    principals: deps.principals,
    baseUrlOf,
    scopes: deps.scopes,
    onFailure: (code) => {
      deps.health.metrics.authFailure(code);
    },
    onUnavailable: (error) => {
      const at = performance.now();
      if (at - lastUnavailableWarning < 10_000) return;
      lastUnavailableWarning = at;
      deps.logger.warn({ err: error.cause }, `client tokens cannot be verified: ${error.message}`);
    },
  });
  // Tool handlers get the request's AuthInfo, not the request: the request's id goes with it, to
  // become the correlation id of the calls it carries.
  const stamp = (req: AuthedRequest, res: Response, next: () => void) => {
    const id = requestIdOf(res);
    if (req.auth !== undefined && id !== undefined) deps.principals.stamp(req.auth, id);
    next();
  };
  // Limits count verified callers only, so they come after authentication, before the body.
  const limit = deps.limitRequests;
  const auth = [verified, stamp, ...(limit === undefined ? [] : [edgeRateLimit(limit)])];
  const rejected = rejectionLog(deps.logger);
  const fly = deps.flyReplay;
  const streamable = createStreamableHandler({
    newServer: deps.newServer,
    sessions: deps.sessions,
    logging: {
      logger: deps.logger,
      rejected,
      loggerFor: (res) => requestLogger(res, deps.logger),
    },
    maxBodyBytes: deps.maxBodyBytes,
    direct: deps.direct,
    now: deps.now,
    ids: fly?.ids,
  });
  const sse = createSseHandlers(deps.newServer, deps.sessions, rejected, deps.now, fly?.ids);
  // Before authentication, a request for a session another machine holds goes there.
  const replay = fly === undefined ? { mcp: [], sse: [] } : { mcp: [fly.mcp], sse: [fly.sse] };

  const context = requestContext();
  const { replicaId } = deps;
  const named: RequestHandler = (_req, res, next) => {
    if (replicaId !== undefined) res.setHeader('X-TB-Replica', replicaId);
    next();
  };
  // Requests being answered hold the shutdown drain; the long-lived GET streams do not.
  const holdDrain: RequestHandler = (req, res, next) => {
    if (req.method === 'GET' && (req.path === '/sse' || req.path === '/mcp')) {
      next();
      return;
    }
    res.once('close', deps.health.drain.begin());
    next();
  };
  const guard = originGuard({ ...deps, rejected });

  // POST /mcp carries nearly every tool call. Its route comes first, with the same front
  // middlewares as every other request gets below, so it does not walk the other routes' layers.
  // Authentication before the body: an unauthenticated caller learns nothing from parse errors.
  app.post('/mcp', context, named, holdDrain, guard, replay.mcp, auth, json, streamable);

  app.use(context, named, holdDrain);
  addHealthRoutes(app, deps.health);
  app.use(guard);

  const metadata = (req: Request, res: Response) => {
    res.json(
      resourceMetadata({
        baseUrl: baseUrlOf(req),
        authorizationServers: deps.authorizationServers,
        scopesSupported: deps.scopes?.supported,
      }),
    );
  };
  app.get(METADATA_PATH, metadata);
  app.get(`${METADATA_PATH}/mcp`, metadata);

  app.get('/mcp', replay.mcp, auth, streamable);
  app.delete('/mcp', replay.mcp, auth, streamable);
  app.all('/mcp', (_req, res) => {
    res.set('Allow', 'GET, POST, DELETE').status(405).json({ error: 'method_not_allowed' });
  });

  // The legacy SSE pair relays a POST to the replica holding the stream without its caller, and
  // runs it as the stream's opener: right for one user's session, wrong for a runtime's session
  // that carries many users' calls. Runtimes use /mcp.
  const noServiceKeys = (req: Request, res: Response, next: () => void) => {
    if (!isServiceKeyBearer(req.get('authorization'))) {
      next();
      return;
    }
    res.status(400).json({
      error: 'invalid_request',
      error_description:
        'service keys are accepted at /mcp (Streamable HTTP) only, not on the legacy SSE endpoints /sse and /messages/',
    });
  };
  app.get('/sse', noServiceKeys, auth, sse.open);
  app.all('/sse', (_req, res) => {
    res.set('Allow', 'GET').status(405).type('text/plain').send('Method Not Allowed');
  });
  app.get('/sse/', (req, res) => {
    // Starlette's redirect_slashes kept the query string, as this does.
    const query = req.originalUrl.indexOf('?');
    res.redirect(307, `/sse${query === -1 ? '' : req.originalUrl.slice(query)}`);
  });
  app.post(MESSAGES_PATH, replay.sse, noServiceKeys, auth, json, sse.post);
  app.post('/messages', (req, res) => {
    res.redirect(307, `${MESSAGES_PATH}${req.url.slice('/messages'.length)}`);
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  app.use(errorFunnel(deps.logger));
  return app;
}
