/**
 * Child process for load/run.ts and bench/gateway.ts: the embedded ToolBridge API on an ephemeral loopback port, with
 * secrets from LOAD_JWT_SECRET / LOAD_TENANT_SECRET. Its per-user rate limit (Go's 600/min, burst
 * 120) is lifted unless LOAD_GO_RATE_LIMIT=1: load runs and benchmarks measure the gateway, and one VU
 * (one user) calling without think time would otherwise be capped at 10 calls/s.
 * Prints one JSON line `{"url": …}` once listening; stops on SIGTERM/SIGINT.
 */
import { GO_RATE_LIMIT, startBackend } from '../src/backend/index.ts';

const jwtSecret = process.env['LOAD_JWT_SECRET'];
const tenantHeaderSecret = process.env['LOAD_TENANT_SECRET'];
if (jwtSecret === undefined || tenantHeaderSecret === undefined) {
  process.stderr.write('load backend: LOAD_JWT_SECRET and LOAD_TENANT_SECRET are required\n');
  process.exit(64);
}

const backend = await startBackend({
  port: 0,
  host: '127.0.0.1',
  jwtSecret,
  tenantHeaderSecret,
  rateLimit:
    process.env['LOAD_GO_RATE_LIMIT'] === '1'
      ? GO_RATE_LIMIT
      : { windowSeconds: 1, maxRequests: 1e9, burst: 1e9 },
  onError: (error) => {
    process.stderr.write(
      `load backend: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  },
});
process.stdout.write(`${JSON.stringify({ url: backend.url })}\n`);

await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
});
await backend.close();
