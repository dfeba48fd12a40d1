/**
 * Signing micro-benchmark: how many X-TB-* header sets per second one core produces, and how
 * many the verifier checks. Prints figures; asserts nothing. Run: npm run bench:sign
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  createTenantSigner,
  createTenantVerifier,
  sign,
  type IncomingHeaders,
} from '../src/tenant-headers/index.ts';

const SECRET = 'dev-secret-change-in-production';
const SECONDS = Number(process.argv[2] ?? '1');

function measure(name: string, work: () => unknown): void {
  for (let i = 0; i < 20_000; i += 1) work(); // warm-up: let the JIT settle
  let operations = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i += 1) work();
    operations += 1000;
  }
  const elapsed = (performance.now() - start) / 1000;
  const perSecond = Math.round(operations / elapsed);
  const micros = ((elapsed * 1e6) / operations).toFixed(2);
  process.stdout.write(
    `${name.padEnd(44)} ${perSecond.toLocaleString('en-US').padStart(12)} /s  ${micros.padStart(6)} µs/op\n`,
  );
}

process.stdout.write(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${SECONDS}s per case\n`,
);

for (const tenantId of ['staging-tenant-001', 'テナント-ü-🚀']) {
  const signer = createTenantSigner({ tenantId, secret: SECRET });
  measure(`signer.headers() tenant=${tenantId}`, () => signer.headers());
}

measure('sign() (derives the key each call)', () =>
  sign(SECRET, 'staging-tenant-001', '1763596800000'),
);

const verify = createTenantVerifier({ secret: SECRET });
const signed = createTenantSigner({ tenantId: 'staging-tenant-001', secret: SECRET }).headers();
const incoming: IncomingHeaders = {
  'x-tb-tenant-id': signed['X-TB-Tenant-ID'],
  'x-tb-timestamp': signed['X-TB-Timestamp'],
  'x-tb-signature': signed['X-TB-Signature'],
};
measure('verify() accepted', () => verify(incoming));
