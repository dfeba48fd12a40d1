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
    return `the ToolBridge API at ${new URL(url).host} is ${reason}`;
  }
}

/**
 * Registered on the app itself rather than mounted as a Router: every request passes the mounted
 * router's own matching, and these three paths are exact.
 */
export function addHealthRoutes(
  app: Express,
  { backendUrl, warnings, drain, metrics, probeTimeoutMs = 2000 }: HealthOptions,
): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const reasons = drain.draining ? ['shutting down'] : [];
    if (reasons.length === 0) {
      const backend = await probeBackend(backendUrl, probeTimeoutMs);
      if (backend !== undefined) reasons.push(backend);
    }
    const body = { status: reasons.length === 0 ? 'ready' : 'not_ready', reasons, warnings };
    res.status(reasons.length === 0 ? 200 : 503).json(body);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
