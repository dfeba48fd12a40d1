/**
 * Child process for bench/gateway.ts: the embedded ToolBridge API on an ephemeral loopback port,
 * secrets from BENCH_JWT_SECRET / BENCH_TENANT_SECRET. Its per-user rate limit (Go's 600/min,
 * burst 120) is lifted: the benchmark measures throughput, which the limiter would cap at 10/s.
 * Prints one JSON line `{"url": …}` once listening; stops on SIGTERM/SIGINT.
 */
import { startBackend } from '../../src/backend/index.ts';

const jwtSecret = process.env['BENCH_JWT_SECRET'];
const tenantHeaderSecret = process.env['BENCH_TENANT_SECRET'];
if (jwtSecret === undefined || tenantHeaderSecret === undefined) {
  process.stderr.write('bench backend: BENCH_JWT_SECRET and BENCH_TENANT_SECRET are required\n');
  process.exit(64);
}

const backend = await startBackend({
  port: 0,
  host: '127.0.0.1',
  jwtSecret,
  tenantHeaderSecret,
  rateLimit: { windowSeconds: 1, maxRequests: 1e9, burst: 1e9 },
  onError: (error) => {
    process.stderr.write(
      `bench backend: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  },
});
process.stdout.write(`${JSON.stringify({ url: backend.url })}\n`);

await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
});
await backend.close();
