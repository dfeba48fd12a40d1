import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Drain } from '../drain.ts';
import type { Metrics } from '../metrics.ts';

/**
 * Liveness, readiness and metrics; no authentication and mounted before the Origin/Host guard,
 * since platform probes (Fly, Docker HEALTHCHECK) address the machine directly.
 * `/healthz` never calls the backend; `/readyz` does, and says why it is not ready.
 */
export interface HealthOptions {
  backendUrl: string;
  /** Standing configuration warnings (e.g. TOOLBRIDGE_AUTH=none), repeated in every answer. */
  warnings: readonly string[];
  drain: Drain;
  metrics: Metrics;
  probeTimeoutMs?: number;
  /** How long one probe's verdict answers /readyz (default 500 ms). */
  probeCacheMs?: number;
  /** False when /metrics has a listener of its own (TOOLBRIDGE_METRICS_PORT). */
  metricsRoute?: boolean;
  /** The session store's verdict (Redis answers?): undefined when ready, else a public reason. */
  storeReadiness?: (() => Promise<string | undefined>) | undefined;
}

/**
 * Answers GET /metrics from the registry, anything else 404: the route on the MCP port, or the
 * whole of a listener of its own (TOOLBRIDGE_METRICS_PORT).
 */
export function metricsListener(metrics: Metrics) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
      },
    );
  };
}

async function probeBackend(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok ? undefined : `the ToolBridge API /healthz answered ${response.status}`;
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : 'unreachable';
    // No host or port: /readyz answers anyone who reaches the port.
    return `the ToolBridge API is ${reason}`;
  }
}

interface SharedVerdict {
  readonly verdict: Promise<string | undefined>;
  /** performance.now() when the probe answered; undefined while it runs. */
  settledAt: number | undefined;
}

/**
 * A probe, shared: requests that arrive while one runs, or within `cacheMs` of its answer, get
 * that answer. A flood of /readyz (it needs no credentials) then costs the API, and Redis, at
 * most a probe per `cacheMs`, not one per request.
 */
function sharedProbe(probe: () => Promise<string | undefined>, cacheMs: number) {
  let last: SharedVerdict | undefined;
  return (): Promise<string | undefined> => {
    const settledAt = last?.settledAt;
    if (
      last !== undefined &&
      (settledAt === undefined || performance.now() - settledAt < cacheMs)
    ) {
      return last.verdict;
    }
    const current: SharedVerdict = { verdict: probe(), settledAt: undefined };
    last = current;
    void current.verdict.then(() => {
      current.settledAt = performance.now();
    });
    return current.verdict;
  };
}

/**
 * Registered on the app itself rather than mounted as a Router: every request passes the mounted
 * router's own matching, and these three paths are exact.
 */
export function addHealthRoutes(
  app: Express,
  {
    backendUrl,
    warnings,
    drain,
    metrics,
    probeTimeoutMs = 2000,
    probeCacheMs = 500,
    metricsRoute = true,
    storeReadiness,
  }: HealthOptions,
): void {
  const probe = sharedProbe(() => probeBackend(backendUrl, probeTimeoutMs), probeCacheMs);
  const store =
    storeReadiness === undefined ? undefined : sharedProbe(storeReadiness, probeCacheMs);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const reasons = drain.draining ? ['shutting down'] : [];
    if (reasons.length === 0) {
      for (const reason of await Promise.all([probe(), store?.()])) {
        if (reason !== undefined) reasons.push(reason);
      }
    }
    const body = { status: reasons.length === 0 ? 'ready' : 'not_ready', reasons, warnings };
    res.status(reasons.length === 0 ? 200 : 503).json(body);
  });
  if (metricsRoute) app.get('/metrics', metricsListener(metrics));
}
