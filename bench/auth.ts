/**
 * Per-call authentication micro-benchmark (issue 18): what each way of calling costs the gateway
 * in its own process, the work bench:gateway's auth-modes phase measures through sockets, here
 * without them. Steady state (the same tokens again, as a session's calls bring them) and the
 * first sight of a token apart. Prints figures; asserts nothing.
 * Run: npm run bench:auth [-- seconds per case]
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createIdentityVerifier } from '../src/auth/identity-token.ts';
import { createOnBehalfVerifier } from '../src/auth/on-behalf.ts';
import { createServiceKeyLookup, newServiceKey } from '../src/auth/service-keys.ts';
import { createClientVerifier } from '../src/auth/verifier.ts';
import { createMinter } from '../src/proxy/mint.ts';
import { hs256Token, nowSeconds } from './lib/credentials.ts';

const SECONDS = Number(process.argv[2] ?? '1');
const USERS = 100;
const TENANT = 'bench';

async function measure(name: string, work: (i: number) => unknown): Promise<void> {
  for (let i = 0; i < 20_000; i += 1) await work(i); // warm-up: let the JIT settle
  let operations = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i += 1) await work(operations + i);
    operations += 1000;
  }
  const micros = ((performance.now() - start) * 1000) / operations;
  process.stdout.write(`${name.padEnd(58)} ${micros.toFixed(2).padStart(8)} µs/call\n`);
}

/** A five-minute token for `sub`, as identity tokens and short-lived client tokens are. */
const hs256 = (secret: string, sub: string) =>
  hs256Token(secret, { sub, tenant: TENANT }, nowSeconds(), nowSeconds() + 300);

const users = Array.from({ length: USERS }, (_, i) => `user-${String(i)}`);
const user = (i: number) => users[i % USERS] ?? '';
const clientSecret = randomBytes(32).toString('base64url');
const identitySecret = randomBytes(32).toString('base64url');
const clientTokens = await Promise.all(
  users.map(async (sub) => `Bearer ${await hs256(clientSecret, sub)}`),
);
const identities = await Promise.all(users.map((sub) => hs256(identitySecret, sub)));
const { key, entry } = newServiceKey({ id: 'bench', scopes: [] });
const runtimeAuthorization = `Bearer ${key}`;

process.stdout.write(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${String(SECONDS)} s per case, ${String(USERS)} users in turn\n`,
);

const client = (cacheSeconds: number) =>
  createClientVerifier({
    mode: 'jwt',
    jwtSecret: clientSecret,
    tenantClaim: 'tenant_id',
    cacheSeconds,
  });
const onBehalf = (cacheSize: number) =>
  createOnBehalfVerifier({
    lookup: createServiceKeyLookup([entry]),
    verifyIdentity: createIdentityVerifier({
      header: 'x-toolbridge-user',
      secret: identitySecret,
      tenantClaim: 'tenant_id',
      maxTtlSeconds: 300,
      cacheSize,
    }),
  });
const minter = createMinter({ secret: clientSecret }, Date.now);

const steadyClient = client(300);
await measure('client token (forward), remembered', (i) => steadyClient(clientTokens[i % USERS]));
const checkedClient = client(0);
await measure('client token, signature checked every call', (i) =>
  checkedClient(clientTokens[i % USERS]),
);
const steadyRuntime = onBehalf(10_000);
await measure('service key + identity token, identity remembered', (i) =>
  steadyRuntime({ authorization: runtimeAuthorization, identity: identities[i % USERS] }),
);
// Room for one: with USERS tokens in turn, every call finds another token there.
const checkedRuntime = onBehalf(1);
await measure('service key + identity token, identity checked every call', (i) =>
  checkedRuntime({ authorization: runtimeAuthorization, identity: identities[i % USERS] }),
);
await measure('minted backend token (mint), remembered', (i) =>
  minter.authorization(user(i), TENANT),
);
const fresh = createMinter({ secret: clientSecret }, Date.now);
await measure('minted backend token, signed every call (a new user each)', (i) =>
  fresh.authorization(`new-user-${String(i)}`, TENANT),
);
