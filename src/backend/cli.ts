#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { startBackend } from './server.ts';

/**
 * `npm run backend`: the embedded ToolBridge API on its own, for trying the gateway or pointing
 * load tests at. Secrets not given are generated for this run and printed, since they are
 * throw-away development values; secrets given on the command line are never echoed.
 */

const USAGE = `Usage: npm run backend -- [options]

  --port <n>             port to listen on (default 8081, the Go API's)
  --host <addr>          address to bind (default 127.0.0.1)
  --jwt-secret <s>       HS256 secret for client JWTs (default: generated)
  --tenant-secret <s>    X-TB-* HMAC secret (default: generated)
  --no-tenant-check      do not require tenant headers (Go API without TENANT_HEADER_SECRET)
  --dev                  accept X-Debug-Sub without a token (Go ENV=dev)
  --auth0-domain <d>     tokens must have iss https://<d>/ and aud --auth0-audience (Go
  --auth0-audience <a>     AUTH0_DOMAIN/AUTH0_AUDIENCE; both or neither)
  --jwt-issuer <i>       tokens must have this iss (Go JWT_ISSUER) and, with
  --jwt-audience <a>       --jwt-audience, this aud (Go JWT_AUDIENCE)
  --no-backend-tokens    iss/aud bind backend tokens too (the Go API before token_type)
`;

/** The issuer and audience rule (CONTRACT.md B.2, E.3), from either generation's flags. */
function issuerSettings(values: {
  'auth0-domain'?: string | undefined;
  'auth0-audience'?: string | undefined;
  'jwt-issuer'?: string | undefined;
  'jwt-audience'?: string | undefined;
}): { issuer?: string; audience?: string } | string {
  const domain = values['auth0-domain'];
  const auth0Audience = values['auth0-audience'];
  const issuer = values['jwt-issuer'];
  const audience = values['jwt-audience'];
  if ((domain !== undefined || auth0Audience !== undefined) && issuer !== undefined) {
    return 'give --auth0-domain/--auth0-audience or --jwt-issuer/--jwt-audience, not both';
  }
  if ((domain === undefined) !== (auth0Audience === undefined)) {
    return '--auth0-domain and --auth0-audience go together';
  }
  if (audience !== undefined && issuer === undefined) return '--jwt-audience needs --jwt-issuer';
  if (domain !== undefined && auth0Audience !== undefined) {
    return { issuer: `https://${domain}/`, audience: auth0Audience };
  }
  return {
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
  };
}

const DEV_SUBJECT = 'dev-user';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8081' },
        host: { type: 'string', default: '127.0.0.1' },
        'jwt-secret': { type: 'string' },
        'tenant-secret': { type: 'string' },
        'no-tenant-check': { type: 'boolean', default: false },
        dev: { type: 'boolean', default: false },
        'auth0-domain': { type: 'string' },
        'auth0-audience': { type: 'string' },
        'jwt-issuer': { type: 'string' },
        'jwt-audience': { type: 'string' },
        'no-backend-tokens': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 64;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--port expects an integer from 0 to 65535\n${USAGE}`);
    return 64;
  }
  const claims = issuerSettings(values);
  if (typeof claims === 'string') {
    process.stderr.write(`${claims}\n${USAGE}`);
    return 64;
  }
  const generated = () => randomBytes(24).toString('base64url');
  const jwtSecret = values['jwt-secret'] ?? generated();
  const tenantSecret = values['no-tenant-check']
    ? undefined
    : (values['tenant-secret'] ?? generated());

  const backend = await startBackend({
    port,
    host: values.host,
    jwtSecret,
    tenantHeaderSecret: tenantSecret,
    devMode: values.dev,
    ...claims,
    backendTokens: !values['no-backend-tokens'],
    onError: (error) => {
      process.stderr.write(
        `request failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    },
  });
  const shown = (given: string | undefined, value: string) =>
    given === undefined ? value : '(as given on the command line)';
  const dev = new SignJWT({ sub: DEV_SUBJECT })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('24h');
  if (claims.issuer !== undefined) dev.setIssuer(claims.issuer);
  if (claims.audience !== undefined) dev.setAudience(claims.audience);
  const token = await dev.sign(new TextEncoder().encode(jwtSecret));

  process.stdout.write(
    [
      `ToolBridge embedded API (in memory) listening on ${backend.url}`,
      '',
      'Settings for a gateway in front of it:',
      `  TOOLBRIDGE_GO_API_BASE_URL=${backend.url}`,
      tenantSecret === undefined
        ? '  (tenant headers are not checked)'
        : `  TOOLBRIDGE_TENANT_HEADER_SECRET=${shown(values['tenant-secret'], tenantSecret)}`,
      '  TOOLBRIDGE_TENANT_ID=<any id: it is verified, not used to scope data>',
      '',
      `Client JWTs: HS256 with secret ${shown(values['jwt-secret'], jwtSecret)}`,
      ...(claims.issuer === undefined
        ? []
        : [
            `  with iss ${claims.issuer}${claims.audience === undefined ? '' : ` and aud ${claims.audience}`}${values['no-backend-tokens'] ? '' : ' (backend tokens, token_type "backend", excepted)'}`,
          ]),
      `A bearer token for sub=${DEV_SUBJECT}, valid 24 h:`,
      `  ${token}`,
      '',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    const stop = () => {
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await backend.close();
  return 0;
}

process.exitCode = await main();
