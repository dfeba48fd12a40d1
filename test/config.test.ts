import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConfig } from '../src/config-describe.ts';
import { CONFIG_VARIABLES, loadConfig, readDotenv } from '../src/config.ts';
import { AppError } from '../src/errors.ts';

const SECRET = 'tenant-secret-0123456789-SENTINEL';
const REQUIRED = {
  TOOLBRIDGE_TENANT_ID: 'staging-tenant-001',
  TOOLBRIDGE_TENANT_HEADER_SECRET: SECRET,
};
/** A gateway in front of a real Go API: the tenant secret and a client-token verifier are needed. */
const REMOTE = {
  ...REQUIRED,
  TOOLBRIDGE_GO_API_BASE_URL: 'https://toolbridgeapi.example.com',
  TOOLBRIDGE_JWT_SECRET: 'go-api-hs256-secret',
};

/** The configuration error for these variables, or a failure if there is none. */
function configError(env: Record<string, string | undefined>, dotenv?: string): AppError {
  try {
    loadConfig({ env, dotenv });
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadConfig: defaults and meanings of the Python variables', () => {
  it('needs nothing: without a Go API the embedded backend serves, with Python defaults elsewhere', () => {
    const config = loadConfig({ env: {} });
    expect(config).toEqual({
      goApiBaseUrl: undefined,
      tenantId: undefined,
      tenantHeaderSecret: undefined,
      jwtToken: undefined,
      logLevel: 'info',
      host: '127.0.0.1',
      port: 8001,
      maxTimestampSkewSeconds: 300,
      auth: {
        mode: 'jwt',
        jwtSecret: undefined,
        jwksUrl: undefined,
        issuer: undefined,
        audience: undefined,
        tenantClaim: 'tenant_id',
      },
      backendAuth: { mode: 'forward', secret: undefined, issuer: undefined, audience: undefined },
      authorizationServers: undefined,
      scopes: { required: undefined, read: undefined, write: undefined },
      publicBaseUrl: undefined,
      allowedOrigins: [],
      httpTimeouts: { headerSeconds: 10, bodySeconds: 30 },
      toolTimeoutMs: 15_000,
      upstreamMaxResponseBytes: 33_554_432,
      sessionIdleSeconds: 1800,
      maxSessions: 10_000,
      maxSessionsPerPrincipal: 1_000,
      maxInflightPerPrincipal: 32,
      rateLimits: [],
      allowedHosts: [],
      shutdownTimeoutSeconds: 7,
      shutdownDelaySeconds: 0,
      redisUrl: undefined,
      redisPassword: undefined,
      backChannel: {
        serviceKeys: [],
        identityHeader: 'x-toolbridge-user',
        identitySecret: undefined,
        identityMaxTtlSeconds: 300,
      },
      warnings: [],
    });
  });

  it('accepts the Python deployment variables unchanged, plus a verifier', () => {
    const config = loadConfig({ env: { ...REMOTE } });
    expect(config).toMatchObject({
      goApiBaseUrl: 'https://toolbridgeapi.example.com',
      tenantId: 'staging-tenant-001',
      tenantHeaderSecret: SECRET,
      host: '0.0.0.0',
    });
  });

  it('binds loopback by default only for the embedded API, which prints a dev token', () => {
    expect(loadConfig({ env: {} }).host).toBe('127.0.0.1');
    expect(loadConfig({ env: { TOOLBRIDGE_HOST: '0.0.0.0' } }).host).toBe('0.0.0.0');
    expect(loadConfig({ env: { ...REMOTE } }).host).toBe('0.0.0.0');
    expect(loadConfig({ env: { ...REMOTE, TOOLBRIDGE_HOST: '127.0.0.1' } }).host).toBe('127.0.0.1');
  });

  it('reads every variable', () => {
    const config = loadConfig({
      env: {
        ...REMOTE,
        TOOLBRIDGE_JWT_TOKEN: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig',
        TOOLBRIDGE_LOG_LEVEL: 'DEBUG',
        TOOLBRIDGE_HOST: '127.0.0.1',
        TOOLBRIDGE_PORT: '9001',
        TOOLBRIDGE_MAX_TIMESTAMP_SKEW_SECONDS: '120',
        TOOLBRIDGE_AUTH: 'JWT',
        TOOLBRIDGE_JWT_JWKS_URL: 'https://idp.example.com/oauth2/jwks',
        TOOLBRIDGE_JWT_ISSUER: 'https://idp.example.com',
        TOOLBRIDGE_JWT_AUDIENCE: 'https://mcp.example.com/mcp',
        TOOLBRIDGE_TENANT_CLAIM: 'org_id',
        TOOLBRIDGE_PUBLIC_BASE_URL: 'https://mcp.example.com/',
        TOOLBRIDGE_ALLOWED_ORIGINS: 'https://claude.ai, http://localhost:6274',
        TOOLBRIDGE_ALLOWED_HOSTS: 'MCP.example.com, toolbridge-mcp.internal',
        TOOLBRIDGE_HTTP_HEADER_TIMEOUT_SECONDS: '5',
        TOOLBRIDGE_HTTP_BODY_TIMEOUT_SECONDS: '120',
        TOOLBRIDGE_TOOL_TIMEOUT_MS: '5000',
        TOOLBRIDGE_UPSTREAM_MAX_RESPONSE_BYTES: '1048576',
        TOOLBRIDGE_SESSION_IDLE_SECONDS: '600',
        TOOLBRIDGE_MAX_SESSIONS: '500',
        TOOLBRIDGE_SHUTDOWN_TIMEOUT_SECONDS: '20',
        TOOLBRIDGE_SHUTDOWN_DELAY_SECONDS: '3',
        TOOLBRIDGE_SERVICE_KEYS: `[{"id":"rt","sha256":"${'e'.repeat(64)}","scopes":[]}]`,
        TOOLBRIDGE_IDENTITY_HEADER: 'x-agent-user',
        TOOLBRIDGE_IDENTITY_SECRET: 'identity-secret-0123456789-0123456789',
        TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS: '60',
        TOOLBRIDGE_RATE_LIMITS: 'subject=20/s burst 40, write=5/s',
      },
    });
    expect(config).toMatchObject({
      goApiBaseUrl: 'https://toolbridgeapi.example.com',
      jwtToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig',
      logLevel: 'debug',
      host: '127.0.0.1',
      port: 9001,
      maxTimestampSkewSeconds: 120,
      auth: {
        mode: 'jwt',
        jwtSecret: 'go-api-hs256-secret',
        jwksUrl: 'https://idp.example.com/oauth2/jwks',
        issuer: 'https://idp.example.com',
        audience: 'https://mcp.example.com/mcp',
        tenantClaim: 'org_id',
      },
      publicBaseUrl: 'https://mcp.example.com',
      allowedOrigins: ['https://claude.ai', 'http://localhost:6274'],
      allowedHosts: ['mcp.example.com', 'toolbridge-mcp.internal'],
      httpTimeouts: { headerSeconds: 5, bodySeconds: 120 },
      toolTimeoutMs: 5000,
      upstreamMaxResponseBytes: 1_048_576,
      sessionIdleSeconds: 600,
      maxSessions: 500,
      shutdownTimeoutSeconds: 20,
      shutdownDelaySeconds: 3,
      backChannel: {
        serviceKeys: [{ id: 'rt', sha256: 'e'.repeat(64), scopes: [] }],
        identityHeader: 'x-agent-user',
        identitySecret: 'identity-secret-0123456789-0123456789',
        identityMaxTtlSeconds: 60,
      },
      rateLimits: [
        { name: 'subject', perSecond: 20, burst: 40 },
        { name: 'subject.write', perSecond: 5, burst: 5 },
      ],
    });
  });

  it('returns a frozen value', () => {
    const config = loadConfig({ env: REQUIRED });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.warnings)).toBe(true);
  });

  it.each([
    ['https://h.example/api', 'https://h.example/api'],
    ['https://h.example/api/', 'https://h.example/api'],
    ['https://h.example/', 'https://h.example'],
    ['http://localhost:8080', 'http://localhost:8080'],
  ])('keeps the base URL path prefix (trap 9): %s → %s', (raw, expected) => {
    expect(loadConfig({ env: { ...REMOTE, TOOLBRIDGE_GO_API_BASE_URL: raw } }).goApiBaseUrl).toBe(
      expected,
    );
  });

  it('accepts a non-ASCII tenant id and one with colons', () => {
    for (const tenant of ['テナント-ü-🚀', 'org:acme:prod']) {
      expect(loadConfig({ env: { ...REQUIRED, TOOLBRIDGE_TENANT_ID: tenant } }).tenantId).toBe(
        tenant,
      );
    }
  });

  it('treats an empty TOOLBRIDGE_JWT_TOKEN as unset, like the Python service', () => {
    expect(loadConfig({ env: { ...REQUIRED, TOOLBRIDGE_JWT_TOKEN: '' } }).jwtToken).toBeUndefined();
  });

  it('treats any empty value as unset, so a blank variable falls back to its default', () => {
    const config = loadConfig({
      env: { ...REQUIRED, TOOLBRIDGE_PORT: '', TOOLBRIDGE_LOG_LEVEL: '' },
    });
    expect(config.port).toBe(8001);
    expect(config.logLevel).toBe('info');
  });

  it('reads variable names case-insensitively; the upper-case spelling wins', () => {
    const config = loadConfig({
      env: {
        toolbridge_tenant_id: 'lower',
        toolbridge_tenant_header_secret: SECRET,
        TOOLBRIDGE_TENANT_ID: 'upper',
      },
    });
    expect(config.tenantId).toBe('upper');
    expect(
      loadConfig({
        env: { toolbridge_tenant_id: 'lower', Toolbridge_Tenant_Header_Secret: SECRET },
      }).tenantId,
    ).toBe('lower');
  });
});

describe('loadConfig: log levels', () => {
  it.each([
    ['TRACE', 'trace'],
    ['DEBUG', 'debug'],
    ['INFO', 'info'],
    ['SUCCESS', 'info'],
    ['WARNING', 'warn'],
    ['ERROR', 'error'],
    ['CRITICAL', 'fatal'],
    ['warning', 'warn'],
    ['Warning', 'warn'],
    ['warn', 'warn'],
    ['fatal', 'fatal'],
    ['silent', 'silent'],
  ])('%s → %s', (name, level) => {
    expect(loadConfig({ env: { ...REQUIRED, TOOLBRIDGE_LOG_LEVEL: name } }).logLevel).toBe(level);
  });
});

describe('loadConfig: one error naming every bad variable, never a value', () => {
  it('needs the tenant secret and a verifier once a Go API is configured', () => {
    const error = configError({ TOOLBRIDGE_GO_API_BASE_URL: 'https://api.example.com' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message.split('\n')).toEqual([
      'invalid configuration (2 problems):',
      expect.stringMatching(
        /^ {2}TOOLBRIDGE_TENANT_HEADER_SECRET is required with TOOLBRIDGE_GO_API_BASE_URL/,
      ),
      expect.stringMatching(/^ {2}TOOLBRIDGE_JWT_SECRET or TOOLBRIDGE_JWT_JWKS_URL is required/),
    ]);
  });

  it('lets TOOLBRIDGE_AUTH=none replace the verifier on purpose, with a warning', () => {
    const config = loadConfig({
      env: { ...REMOTE, TOOLBRIDGE_JWT_SECRET: undefined, TOOLBRIDGE_AUTH: 'none' },
    });
    expect(config.auth.mode).toBe('none');
    expect(config.warnings).toContainEqual(expect.stringContaining('TOOLBRIDGE_AUTH=none'));
  });

  it('warns when, without verification, callers would also choose the tenant', () => {
    const unverified = { ...REMOTE, TOOLBRIDGE_JWT_SECRET: undefined, TOOLBRIDGE_AUTH: 'none' };
    const chooses = 'callers choose the tenant the gateway signs for';
    const unpinned = loadConfig({ env: { ...unverified, TOOLBRIDGE_TENANT_ID: undefined } });
    expect(unpinned.warnings).toContainEqual(expect.stringContaining(chooses));
    const pinned = loadConfig({ env: { ...unverified, TOOLBRIDGE_TENANT_ID: 'tenant-a' } });
    expect(pinned.warnings).not.toContainEqual(expect.stringContaining(chooses));
    // The embedded backend pins its own tenant.
    const embedded = loadConfig({
      env: { TOOLBRIDGE_AUTH: 'none', TOOLBRIDGE_TENANT_ID: undefined },
    });
    expect(embedded.warnings).not.toContainEqual(expect.stringContaining(chooses));
  });

  it('on stdio needs the shared token instead of a client-token verifier', () => {
    const stdio = { ...REMOTE, TOOLBRIDGE_JWT_SECRET: undefined };
    expect(() => loadConfig({ env: stdio }, 'stdio')).toThrow(
      'TOOLBRIDGE_JWT_TOKEN is required with --stdio',
    );
    const config = loadConfig({ env: { ...stdio, TOOLBRIDGE_JWT_TOKEN: 'a.b.c' } }, 'stdio');
    expect(config.jwtToken).toBe('a.b.c');
  });

  it('on stdio needs a Go API, or the secret the token was signed with for the embedded one', () => {
    const local = { ...REQUIRED, TOOLBRIDGE_JWT_TOKEN: 'a.b.c' };
    expect(() => loadConfig({ env: local }, 'stdio')).toThrow(
      'TOOLBRIDGE_GO_API_BASE_URL is required with --stdio',
    );
    const embedded = { ...local, TOOLBRIDGE_JWT_SECRET: 'the-secret-that-signed-it' };
    expect(loadConfig({ env: embedded }, 'stdio').goApiBaseUrl).toBeUndefined();
  });

  it('for the doctor and sign commands needs no client-token verifier', () => {
    const cli = { ...REMOTE, TOOLBRIDGE_JWT_SECRET: undefined };
    expect(loadConfig({ env: cli }, 'cli').goApiBaseUrl).toBe('https://toolbridgeapi.example.com');
  });

  it('needs an issuer and an audience with a JWKS', () => {
    const error = configError({
      ...REMOTE,
      TOOLBRIDGE_JWT_JWKS_URL: 'https://idp.example.com/jwks',
    });
    expect(error.message).toContain(
      'TOOLBRIDGE_JWT_ISSUER is required with TOOLBRIDGE_JWT_JWKS_URL',
    );
    expect(error.message).toContain(
      'TOOLBRIDGE_PUBLIC_BASE_URL or TOOLBRIDGE_JWT_AUDIENCE is required with TOOLBRIDGE_JWT_JWKS_URL: tokens must name this gateway as their audience',
    );
  });

  it('counts an empty required value as missing', () => {
    expect(configError({ ...REMOTE, TOOLBRIDGE_TENANT_HEADER_SECRET: '' }).message).toContain(
      'TOOLBRIDGE_TENANT_HEADER_SECRET is required',
    );
  });

  const malformed: [string, string, string][] = [
    ['TOOLBRIDGE_GO_API_BASE_URL', 'not a url SENTINEL', 'absolute http:// or https:// URL'],
    ['TOOLBRIDGE_GO_API_BASE_URL', 'ftp://SENTINEL.example', 'absolute http:// or https:// URL'],
    ['TOOLBRIDGE_GO_API_BASE_URL', 'https://user:SENTINEL@h.example', 'must not embed credentials'],
    ['TOOLBRIDGE_GO_API_BASE_URL', 'https://h.example/?k=SENTINEL', 'must not carry a query'],
    [
      'TOOLBRIDGE_GO_API_BASE_URL',
      'https://h.example/#SENTINEL',
      'must not carry a query or a fragment',
    ],
    ['TOOLBRIDGE_TENANT_ID', ' SENTINEL', 'must not start or end with whitespace'],
    ['TOOLBRIDGE_TENANT_ID', 'SENTINEL\t', 'must not start or end with whitespace'],
    ['TOOLBRIDGE_TENANT_ID', 'SENTI\nNEL', 'must not contain control characters'],
    ['TOOLBRIDGE_JWT_TOKEN', 'Bearer SENTINEL', "without the 'Bearer ' prefix"],
    ['TOOLBRIDGE_JWT_TOKEN', 'SENTINEL\n', 'must not contain whitespace'],
    [
      'TOOLBRIDGE_LOG_LEVEL',
      'SENTINEL',
      'expects one of TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL',
    ],
    ['TOOLBRIDGE_HOST', 'SENTINEL host', 'expects a host name or IP address'],
    ['TOOLBRIDGE_PORT', 'SENTINEL', 'expects an integer from 0 to 65535'],
    ['TOOLBRIDGE_PORT', '65536', 'expects an integer from 0 to 65535'],
    ['TOOLBRIDGE_PORT', '-1', 'expects an integer from 0 to 65535'],
    ['TOOLBRIDGE_PORT', '80.5', 'expects an integer from 0 to 65535'],
    ['TOOLBRIDGE_MAX_TIMESTAMP_SKEW_SECONDS', '-5', 'a whole number of seconds from 1 to 86400'],
    ['TOOLBRIDGE_MAX_TIMESTAMP_SKEW_SECONDS', '86401', 'a whole number of seconds from 1 to 86400'],
    ['TOOLBRIDGE_MAX_TIMESTAMP_SKEW_SECONDS', '5m', 'a whole number of seconds from 1 to 86400'],
    ['TOOLBRIDGE_AUTH', 'SENTINEL', 'expects one of jwt, none'],
    ['TOOLBRIDGE_JWT_JWKS_URL', 'file:///SENTINEL', 'absolute http:// or https:// URL'],
    ['TOOLBRIDGE_TENANT_CLAIM', 'SENTINEL claim', 'expects a claim name'],
    ['TOOLBRIDGE_PUBLIC_BASE_URL', 'SENTINEL', 'absolute http:// or https:// URL'],
    [
      'TOOLBRIDGE_ALLOWED_ORIGINS',
      'https://ok.example,SENTINEL',
      'expects comma-separated origins',
    ],
    ['TOOLBRIDGE_ALLOWED_ORIGINS', 'https://ok.example/SENTINEL', 'scheme, host, port only'],
    ['TOOLBRIDGE_ALLOWED_HOSTS', 'https://SENTINEL.example', 'expects comma-separated host names'],
    ['TOOLBRIDGE_ALLOWED_HOSTS', 'ok.example,SENTINEL.example:8001', 'no scheme or port'],
    ['TOOLBRIDGE_HTTP_HEADER_TIMEOUT_SECONDS', '-1', 'a whole number of seconds from 1 to 600'],
    ['TOOLBRIDGE_HTTP_HEADER_TIMEOUT_SECONDS', '10s', 'a whole number of seconds from 1 to 600'],
    ['TOOLBRIDGE_HTTP_BODY_TIMEOUT_SECONDS', '3601', 'a whole number of seconds from 1 to 3600'],
    ['TOOLBRIDGE_HTTP_BODY_TIMEOUT_SECONDS', '0.5', 'a whole number of seconds from 1 to 3600'],
    ['TOOLBRIDGE_TOOL_TIMEOUT_MS', '99', 'milliseconds from 100 to 600000'],
    ['TOOLBRIDGE_UPSTREAM_MAX_RESPONSE_BYTES', '1023', 'a byte count from 1024 to 1073741824'],
    ['TOOLBRIDGE_SESSION_IDLE_SECONDS', '9', 'a whole number of seconds from 10 to 86400'],
    ['TOOLBRIDGE_MAX_SESSIONS', '-5', 'an integer from 1 to 1000000'],
    ['TOOLBRIDGE_SHUTDOWN_TIMEOUT_SECONDS', '3601', 'a whole number of seconds from 0 to 3600'],
    ['TOOLBRIDGE_SHUTDOWN_DELAY_SECONDS', '301', 'a whole number of seconds from 0 to 300'],
    ['TOOLBRIDGE_REDIS_URL', 'redis.internal:SENTINEL', 'expects a redis:// or rediss:// URL'],
    ['TOOLBRIDGE_REDIS_URL', 'https://:SENTINEL@h.example', 'expects a redis:// or rediss:// URL'],
    ['TOOLBRIDGE_REDIS_URL', 'redis://:SENTINEL@h.example/x', 'expects no path'],
    ['TOOLBRIDGE_REDIS_URL', 'redis://:SENTINEL@h.example?tls=1', 'must not carry a query'],
    ['TOOLBRIDGE_REDIS_URL', 'redis://:SENTINEL@', 'expects a redis:// or rediss:// URL'],
    ['TOOLBRIDGE_SERVICE_KEYS', '{"SENTINEL": 1', 'is not valid JSON'],
    [
      'TOOLBRIDGE_SERVICE_KEYS',
      '[{"id": "k1", "sha256": "SENTINEL", "scopes": []}]',
      'entry 1 ("k1"): sha256 expects 64 hex digits',
    ],
    ['TOOLBRIDGE_IDENTITY_HEADER', 'SENTINEL header', 'expects an HTTP header name'],
    ['TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS', '9', 'a whole number of seconds from 10 to 3600'],
    ['TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS', '86400', 'a whole number of seconds from 10 to 3600'],
    [
      'TOOLBRIDGE_AUTHORIZATION_SERVERS',
      'https://ok.example, SENTINEL',
      'expects comma-separated issuer URLs',
    ],
    ['TOOLBRIDGE_AUTHORIZATION_SERVERS', 'https://h.example/?SENTINEL', 'must not carry a query'],
    ['TOOLBRIDGE_REQUIRED_SCOPES', 'ok "SENTINEL"', 'expects OAuth scopes separated by'],
    ['TOOLBRIDGE_READ_SCOPE', 'SENTINEL read', 'expects one OAuth scope'],
    ['TOOLBRIDGE_WRITE_SCOPE', 'SENTINEL\\write', 'expects one OAuth scope'],
    ['TOOLBRIDGE_RATE_LIMITS', 'subject=20/s, SENTINEL=5/s', 'rule 2: expects subject, tenant'],
    ['TOOLBRIDGE_RATE_LIMITS', 'subject=SENTINEL', 'rule 1: expects target=rate/unit'],
  ];

  it.each(malformed)('%s = %j → "%s"', (name, value, expected) => {
    const { message } = configError({ ...REMOTE, [name]: value });
    expect(message).toContain(`${name} `);
    expect(message).toContain(expected);
    expect(message).not.toContain('SENTINEL');
    expect(message).not.toContain(value);
  });

  it('reports every problem at once and never echoes the secret', () => {
    const env: Record<string, string> = { TOOLBRIDGE_TENANT_HEADER_SECRET: SECRET };
    for (const [name, value] of malformed) env[name] = value;
    const { message } = configError(env);
    const reported = new Set(malformed.map(([name]) => name));
    // Plus the issuer a JWKS URL (even a malformed one) brings; a public URL is there, so the
    // audience is known.
    expect(message).toContain(`(${reported.size + 1} problems)`);
    expect(message).toContain('TOOLBRIDGE_JWT_ISSUER is required with TOOLBRIDGE_JWT_JWKS_URL');
    for (const name of reported) expect(message).toContain(`  ${name} `);
    expect(message).not.toContain('SENTINEL');
  });

  it('mentions unrecognised TOOLBRIDGE_ variables as a hint (likely typos)', () => {
    const { message } = configError({
      ...REMOTE,
      TOOLBRIDGE_TENANT_HEADER_SECRET: undefined,
      TOOLBRIDGE_TENANT_SECERT: SECRET,
    });
    expect(message).toContain('TOOLBRIDGE_TENANT_HEADER_SECRET is required');
    expect(message).toContain('(not recognised: TOOLBRIDGE_TENANT_SECERT)');
    expect(message).not.toContain(SECRET);
  });
});

describe('loadConfig: agent runtimes (service keys and identity tokens)', () => {
  const KEY_HASH = 'ab'.repeat(32);
  const KEYS = JSON.stringify([
    { id: 'runtime-staging', sha256: KEY_HASH, scopes: ['tools:call'] },
    { id: 'runtime-acme', sha256: 'cd'.repeat(32), scopes: [], tenants: ['acme'] },
  ]);
  const IDENTITY_SECRET = 'identity-secret-0123456789-0123456789-SENTINEL';
  const RUNTIMES = {
    ...REMOTE,
    TOOLBRIDGE_BACKEND_AUTH: 'mint',
    TOOLBRIDGE_SERVICE_KEYS: KEYS,
    TOOLBRIDGE_IDENTITY_SECRET: IDENTITY_SECRET,
  };
  const dir = mkdtempSync(join(tmpdir(), 'toolbridge-service-keys-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the keys inline, the header in lower case, and the lifetime limit', () => {
    const config = loadConfig({
      env: {
        ...RUNTIMES,
        TOOLBRIDGE_IDENTITY_HEADER: 'X-Agent-User',
        TOOLBRIDGE_IDENTITY_MAX_TTL_SECONDS: '120',
      },
    });
    expect(config.backChannel).toEqual({
      serviceKeys: [
        { id: 'runtime-staging', sha256: KEY_HASH, scopes: ['tools:call'] },
        { id: 'runtime-acme', sha256: 'cd'.repeat(32), scopes: [], tenants: ['acme'] },
      ],
      identityHeader: 'x-agent-user',
      identitySecret: IDENTITY_SECRET,
      identityMaxTtlSeconds: 120,
    });
    expect(config.warnings).toEqual([]);
  });

  it('reads the keys from a file named after "@", and names a file it cannot read', () => {
    const path = join(dir, 'service-keys.json');
    writeFileSync(path, KEYS);
    const config = loadConfig({ env: { ...RUNTIMES, TOOLBRIDGE_SERVICE_KEYS: `@${path}` } });
    expect(config.backChannel.serviceKeys.map((key) => key.id)).toEqual([
      'runtime-staging',
      'runtime-acme',
    ]);
    const missing = join(dir, 'missing.json');
    expect(configError({ ...RUNTIMES, TOOLBRIDGE_SERVICE_KEYS: `@${missing}` }).message).toContain(
      `TOOLBRIDGE_SERVICE_KEYS cannot read ${missing} (ENOENT)`,
    );
  });

  it('needs a way to verify identities, naming both; either one will do', () => {
    const keysOnly = { ...REMOTE, TOOLBRIDGE_BACKEND_AUTH: 'mint', TOOLBRIDGE_SERVICE_KEYS: KEYS };
    expect(configError(keysOnly).message.split('\n')).toEqual([
      'invalid configuration (1 problem):',
      '  TOOLBRIDGE_SERVICE_KEYS needs TOOLBRIDGE_IDENTITY_SECRET or TOOLBRIDGE_JWT_JWKS_URL to verify the identity tokens that service-key calls carry',
    ]);
    const jwks = {
      TOOLBRIDGE_JWT_JWKS_URL: 'https://idp.example.com/jwks',
      TOOLBRIDGE_JWT_ISSUER: 'https://idp.example.com',
      TOOLBRIDGE_JWT_AUDIENCE: 'toolbridge',
    };
    expect(loadConfig({ env: { ...keysOnly, ...jwks } }).backChannel.serviceKeys).toHaveLength(2);
    expect(loadConfig({ env: RUNTIMES }).backChannel.serviceKeys).toHaveLength(2);
    // doctor reports it instead of refusing to start.
    expect(loadConfig({ env: keysOnly }, 'cli').backChannel.serviceKeys).toHaveLength(2);
  });

  it.each(['forward', 'exchange'])(
    'needs TOOLBRIDGE_BACKEND_AUTH=mint or shared, not %s: a key call has no user token',
    (backendAuth) => {
      expect(
        configError({ ...RUNTIMES, TOOLBRIDGE_BACKEND_AUTH: backendAuth }).message.split('\n'),
      ).toEqual([
        'invalid configuration (1 problem):',
        `  TOOLBRIDGE_SERVICE_KEYS needs TOOLBRIDGE_BACKEND_AUTH=mint (or shared): with ${backendAuth} a service-key call has no user token to send to the Go API`,
      ]);
    },
  );

  it('accepts the mode chosen by default when it mints (client tokens from a JWKS)', () => {
    const env = {
      ...RUNTIMES,
      TOOLBRIDGE_BACKEND_AUTH: undefined,
      TOOLBRIDGE_JWT_JWKS_URL: 'https://idp.example.com/jwks',
      TOOLBRIDGE_JWT_ISSUER: 'https://idp.example.com',
      TOOLBRIDGE_JWT_AUDIENCE: 'toolbridge',
    };
    expect(loadConfig({ env }).backendAuth.mode).toBe('mint');
  });

  it.each(['authorization', 'Cookie', 'mcp-session-id', 'X-TB-Tenant-ID', 'host'])(
    'refuses %s as the identity header',
    (name) => {
      expect(configError({ ...RUNTIMES, TOOLBRIDGE_IDENTITY_HEADER: name }).message).toContain(
        'TOOLBRIDGE_IDENTITY_HEADER names a header that already means something else',
      );
    },
  );

  it('refuses a raw key pasted into the list without repeating it', () => {
    const raw = `tbk_${'0f'.repeat(32)}`;
    const { message } = configError({
      ...RUNTIMES,
      TOOLBRIDGE_SERVICE_KEYS: JSON.stringify([{ id: 'k', sha256: raw, scopes: [] }]),
    });
    expect(message).toContain('TOOLBRIDGE_SERVICE_KEYS holds a raw service key');
    expect(message).not.toContain('0f0f');
  });

  it('warns about a short identity secret, without showing it', () => {
    const config = loadConfig({
      env: { ...RUNTIMES, TOOLBRIDGE_IDENTITY_SECRET: 'SENTINEL-short' },
    });
    expect(config.warnings).toEqual(['TOOLBRIDGE_IDENTITY_SECRET is shorter than 32 characters']);
  });

  it('is described by key ids and verifiers, never hashes or the secret', () => {
    const shown = describeConfig(loadConfig({ env: RUNTIMES }));
    expect(shown['agentRuntimes']).toBe(
      '2 service keys (runtime-staging, runtime-acme); identities in x-toolbridge-user via HS256 secret, at most 300 s',
    );
    expect(describeConfig(loadConfig({ env: REMOTE }))['agentRuntimes']).toBe(
      'none (no TOOLBRIDGE_SERVICE_KEYS)',
    );
    const text = JSON.stringify(shown);
    expect(text).not.toContain(KEY_HASH);
    expect(text).not.toContain('SENTINEL');
  });
});

describe('loadConfig: the OAuth resource server', () => {
  const OAUTH = {
    ...REMOTE,
    TOOLBRIDGE_JWT_JWKS_URL: 'https://idp.example.com/jwks',
    TOOLBRIDGE_JWT_ISSUER: 'https://idp.example.com/',
    TOOLBRIDGE_PUBLIC_BASE_URL: 'https://mcp.example.com',
  };

  it('reads the authorization servers verbatim and the scopes, split by spaces or commas', () => {
    const config = loadConfig({
      env: {
        ...OAUTH,
        TOOLBRIDGE_AUTHORIZATION_SERVERS: 'https://idp.example.com/, https://other.example.com',
        TOOLBRIDGE_REQUIRED_SCOPES: 'mcp,  toolbridge mcp',
        TOOLBRIDGE_READ_SCOPE: ' toolbridge:read ',
        TOOLBRIDGE_WRITE_SCOPE: 'toolbridge:write',
      },
    });
    expect(config).toMatchObject({
      authorizationServers: ['https://idp.example.com/', 'https://other.example.com'],
      scopes: {
        required: ['mcp', 'toolbridge'],
        read: 'toolbridge:read',
        write: 'toolbridge:write',
      },
    });
    expect(config.warnings).toEqual([]);
    expect(describeConfig(config).scopeChecks).toBe(
      'every request needs mcp toolbridge; reading tools need toolbridge:read (or toolbridge:write); writing tools need toolbridge:write',
    );
  });

  it('takes the audience from the public URL, or TOOLBRIDGE_JWT_AUDIENCE with a warning', () => {
    expect(loadConfig({ env: OAUTH }).warnings).toEqual([]);
    const byAudience = loadConfig({
      env: {
        ...OAUTH,
        TOOLBRIDGE_PUBLIC_BASE_URL: undefined,
        TOOLBRIDGE_JWT_AUDIENCE: 'https://mcp.example.com/mcp',
      },
    });
    expect(byAudience.warnings).toEqual([
      "TOOLBRIDGE_JWT_JWKS_URL without TOOLBRIDGE_PUBLIC_BASE_URL: the metadata's resource follows each request's Host, so OAuth clients may ask for tokens of an audience other than TOOLBRIDGE_JWT_AUDIENCE",
    ]);
  });

  it.each<[string, Record<string, string | undefined>, string[]]>([
    [
      'scopes without a JWKS',
      {
        ...REMOTE,
        TOOLBRIDGE_REQUIRED_SCOPES: 'mcp',
        TOOLBRIDGE_READ_SCOPE: 'r',
        TOOLBRIDGE_WRITE_SCOPE: 'w',
      },
      [
        "TOOLBRIDGE_REQUIRED_SCOPES is set without TOOLBRIDGE_JWT_JWKS_URL: scopes are checked on OAuth tokens from a JWKS only (the Go API's HS256 tokens carry none)",
        "TOOLBRIDGE_READ_SCOPE is set without TOOLBRIDGE_JWT_JWKS_URL: scopes are checked on OAuth tokens from a JWKS only (the Go API's HS256 tokens carry none)",
        "TOOLBRIDGE_WRITE_SCOPE is set without TOOLBRIDGE_JWT_JWKS_URL: scopes are checked on OAuth tokens from a JWKS only (the Go API's HS256 tokens carry none)",
      ],
    ],
    [
      'scopes with TOOLBRIDGE_AUTH=none',
      { ...OAUTH, TOOLBRIDGE_AUTH: 'none', TOOLBRIDGE_WRITE_SCOPE: 'w' },
      ['TOOLBRIDGE_WRITE_SCOPE is set with TOOLBRIDGE_AUTH=none: unverified tokens have no scopes'],
    ],
    [
      'a read scope without a write scope',
      { ...OAUTH, TOOLBRIDGE_READ_SCOPE: 'r' },
      [
        'TOOLBRIDGE_READ_SCOPE is set without TOOLBRIDGE_WRITE_SCOPE: tools that write would need no scope while tools that read need one',
      ],
    ],
    [
      'authorization servers without a JWKS',
      { ...REMOTE, TOOLBRIDGE_AUTHORIZATION_SERVERS: 'https://idp.example.com' },
      [
        "TOOLBRIDGE_AUTHORIZATION_SERVERS is set without TOOLBRIDGE_JWT_JWKS_URL: the gateway could not verify those servers' tokens",
      ],
    ],
  ])('refuses %s at start', (_name, env, problems) => {
    const lines = configError(env).message.split('\n').slice(1);
    expect(lines).toEqual(problems.map((problem) => `  ${problem}`));
  });
});

describe('loadConfig: the Redis session store', () => {
  it.each([
    ['redis://redis.internal:6379', undefined],
    ['rediss://default:pw-SENTINEL@redis.example.com:6380/2', undefined],
    ['redis://[::1]', 'pw-SENTINEL'],
  ])('accepts %s (password from the variable: %s)', (url, password) => {
    const config = loadConfig({
      env: { TOOLBRIDGE_REDIS_URL: url, TOOLBRIDGE_REDIS_PASSWORD: password },
    });
    expect(config).toMatchObject({ redisUrl: url, redisPassword: password });
  });

  it.each([
    [
      { TOOLBRIDGE_REDIS_PASSWORD: 'pw-SENTINEL' },
      'TOOLBRIDGE_REDIS_PASSWORD is set without TOOLBRIDGE_REDIS_URL',
    ],
    [
      {
        TOOLBRIDGE_REDIS_URL: 'redis://:url-SENTINEL@h.example',
        TOOLBRIDGE_REDIS_PASSWORD: 'pw-SENTINEL',
      },
      'TOOLBRIDGE_REDIS_URL carries a password too: keep it in one place',
    ],
  ])('refuses an ambiguous password setting: %j', (env, expected) => {
    const { message } = configError(env);
    expect(message).toContain(expected);
    expect(message).not.toContain('SENTINEL');
  });

  it('describes the store by host and port, never the password', () => {
    const shown = (env: Record<string, string>) => describeConfig(loadConfig({ env }));
    expect(shown({})).toMatchObject({ sessionStore: 'memory (this process)' });
    expect(
      shown({ TOOLBRIDGE_REDIS_URL: 'rediss://default:pw-SENTINEL@redis.example.com:6380/1' }),
    ).toMatchObject({ sessionStore: 'Redis at redis.example.com:6380' });
    expect(shown({ TOOLBRIDGE_REDIS_URL: 'redis://[::1]' })).toMatchObject({
      sessionStore: 'Redis at [::1]:6379',
    });
    const text = JSON.stringify(
      shown({
        TOOLBRIDGE_REDIS_URL: 'redis://h.example',
        TOOLBRIDGE_REDIS_PASSWORD: 'pw-SENTINEL',
      }),
    );
    expect(text).not.toContain('SENTINEL');
  });
});

describe('loadConfig: warnings that do not stop the process', () => {
  it('warns about unknown TOOLBRIDGE_ variables and ignores other ones', () => {
    const config = loadConfig({
      env: { ...REQUIRED, TOOLBRIDGE_LOG_LEVL: 'debug', HOME: '/root' },
    });
    expect(config.warnings).toEqual(['TOOLBRIDGE_LOG_LEVL is not a known variable and is ignored']);
  });

  it('warns about a short secret or one with surrounding whitespace, without showing it', () => {
    const config = loadConfig({ env: { ...REQUIRED, TOOLBRIDGE_TENANT_HEADER_SECRET: ' short ' } });
    expect(config.warnings).toEqual([
      'TOOLBRIDGE_TENANT_HEADER_SECRET starts or ends with whitespace; it is used verbatim as the HMAC key',
      'TOOLBRIDGE_TENANT_HEADER_SECRET is shorter than 16 characters',
    ]);
    expect(config.tenantHeaderSecret).toBe(' short ');
  });
});

describe('.env', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolbridge-config-'));
    dirs.push(dir);
    return dir;
  };

  it('is read from the working directory, with comments, quotes and export', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, '.env'),
      [
        '# local development',
        'export TOOLBRIDGE_TENANT_ID=test-tenant-123',
        `TOOLBRIDGE_TENANT_HEADER_SECRET="${SECRET}"`,
        "TOOLBRIDGE_PORT='9100' # trailing comment",
        'COMPOSE_PROJECT_NAME=other-tool',
      ].join('\n'),
    );
    const config = loadConfig({ env: {}, dotenv: readDotenv(dir) });
    expect(config).toMatchObject({
      tenantId: 'test-tenant-123',
      tenantHeaderSecret: SECRET,
      port: 9100,
    });
    expect(config.warnings).toEqual([]);
  });

  it('loses to the real environment', () => {
    const config = loadConfig({
      env: { TOOLBRIDGE_PORT: '9200' },
      dotenv: `TOOLBRIDGE_PORT=9100\ntoolbridge_tenant_id=from-dotenv\nTOOLBRIDGE_TENANT_HEADER_SECRET=${SECRET}`,
    });
    expect(config.port).toBe(9200);
    expect(config.tenantId).toBe('from-dotenv');
  });

  it('keeps a # inside an unquoted value, as python-dotenv did', () => {
    const config = loadConfig({
      env: {},
      dotenv:
        'TOOLBRIDGE_TENANT_HEADER_SECRET=abc#def0123456789 # the comment\nTOOLBRIDGE_TENANT_ID=t',
    });
    expect(config.tenantHeaderSecret).toBe('abc#def0123456789');
  });

  it('is overridden by an empty real variable, which unsets it', () => {
    const config = loadConfig({
      env: { TOOLBRIDGE_JWT_TOKEN: '', toolbridge_tenant_id: '' },
      dotenv: 'TOOLBRIDGE_JWT_TOKEN=a.b.c\nTOOLBRIDGE_TENANT_ID=from-dotenv',
    });
    expect(config.jwtToken).toBeUndefined();
    expect(config.tenantId).toBeUndefined();
  });

  it('is optional', () => {
    expect(readDotenv(tempDir())).toBeUndefined();
  });

  it('that cannot be read is a configuration error naming the path only', () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.env'));
    expect(() => readDotenv(dir)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: `invalid configuration: cannot read ${join(dir, '.env')}`,
      }),
    );
  });
});

describe('describeConfig', () => {
  it('shows every setting but the secrets', () => {
    const config = loadConfig({
      env: { ...REQUIRED, TOOLBRIDGE_JWT_TOKEN: 'shared-token-SENTINEL' },
    });
    const shown = JSON.stringify(describeConfig(config));
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain('shared-token-SENTINEL');
    expect(describeConfig(config)).toMatchObject({
      tenantId: 'staging-tenant-001',
      backendIdentity: 'the shared TOOLBRIDGE_JWT_TOKEN',
      port: 8001,
    });
  });

  it('keeps every Python variable, and names the new ones with the same prefix', () => {
    const python = [
      'TOOLBRIDGE_GO_API_BASE_URL',
      'TOOLBRIDGE_HOST',
      'TOOLBRIDGE_JWT_TOKEN',
      'TOOLBRIDGE_LOG_LEVEL',
      'TOOLBRIDGE_MAX_TIMESTAMP_SKEW_SECONDS',
      'TOOLBRIDGE_PORT',
      'TOOLBRIDGE_TENANT_HEADER_SECRET',
      'TOOLBRIDGE_TENANT_ID',
    ];
    expect(CONFIG_VARIABLES).toEqual(expect.arrayContaining(python));
    for (const name of CONFIG_VARIABLES) expect(name).toMatch(/^TOOLBRIDGE_[A-Z_]+$/);
  });
});

describe('loadConfig: FLY_MACHINE_ID names the replica', () => {
  it.each([
    [{}, undefined],
    [{ FLY_MACHINE_ID: '' }, undefined],
    [{ FLY_MACHINE_ID: '1781e79c4e0489' }, '1781e79c4e0489'],
  ])('%j gives %s', (env, expected) => {
    expect(loadConfig({ env }).flyMachineId).toBe(expected);
  });

  it('refuses an id that could not be a header value', () => {
    expect(configError({ FLY_MACHINE_ID: 'a\r\nX-Evil: 1' }).message).toContain(
      'FLY_MACHINE_ID must be up to 64 letters, digits, - or _',
    );
  });
});
