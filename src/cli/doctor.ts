import type { JWTVerifyGetKey } from 'jose';
import type { Dispatcher } from 'undici';
import { claimOf } from '../auth/identity.ts';
import { describeBackendAuth } from '../config-backend.ts';
import { createMinter } from '../proxy/mint.ts';
import { redisUrlPasswords } from '../store/redis-target.ts';
import type { Config } from '../config.ts';
import { checkAgentRuntimes } from './identity-check.ts';
import { createProbeAgent, probe, statusLine, targetOf, type ProbeContext } from './probe.ts';
import { checkRedis } from './redis-check.ts';
import { createReport, type Report, type Sink } from './report.ts';
import { checkSession, type SessionCheck } from './session-check.ts';
import { judgeSkew, measureSkew } from './skew.ts';

/**
 * `toolbridge-mcp doctor`: checks, in dependency order, what a gateway needs from a remote
 * ToolBridge API (configuration, reachability, clock, signed session creation), stopping where a
 * failure makes the next check meaningless. Exit 0 when every check performed passed.
 */

export interface DoctorOptions {
  /** This machine's clock in ms; shifted in tests to simulate skew. */
  now?: () => number;
  /** Per request, each of connect, headers and body. */
  timeoutMs?: number;
  /** Replaces the doctor's own undici Agent (which it closes); a given one is left open. */
  dispatcher?: Dispatcher;
  /** `--identity-token`: a sample identity token from an agent platform, checked as a call would be. */
  identityToken?: string | undefined;
  /** Key lookup in place of TOOLBRIDGE_JWT_JWKS_URL's remote set, for identity tokens (tests). */
  jwks?: JWTVerifyGetKey;
}

export const DOCTOR_TIMEOUT_MS = 5_000;

type Tenant = SessionCheck['tenant'];

function tenantOf(config: Config): Tenant {
  if (config.tenantId !== undefined) return { id: config.tenantId, source: 'TOOLBRIDGE_TENANT_ID' };
  const claim = config.auth.tenantClaim;
  const fromToken = config.jwtToken === undefined ? undefined : claimOf(config.jwtToken, claim);
  return fromToken === undefined
    ? undefined
    : { id: fromToken, source: `the '${claim}' claim of TOOLBRIDGE_JWT_TOKEN` };
}

type SessionToken = Pick<SessionCheck, 'token' | 'minted'>;

/** The subject of the token the doctor mints in mint mode; the API sees it on one session. */
export const DOCTOR_SUBJECT = 'toolbridge-doctor';

/**
 * The token the session check acts with: in mint mode with a tenant to sign for, one minted as
 * the gateway mints them (the gateway sends no other), so a backend secret, issuer or audience
 * that the API would refuse is found before any client is; else TOOLBRIDGE_JWT_TOKEN.
 */
function sessionToken(config: Config, now: () => number): SessionToken {
  const tenant = tenantOf(config);
  const { mode, secret = config.auth.jwtSecret, issuer, audience } = config.backendAuth;
  if (mode !== 'mint' || tenant === undefined || secret === undefined) {
    return { token: config.jwtToken };
  }
  const minter = createMinter(
    { secret, issuer, audience, tenantClaim: config.auth.tenantClaim },
    now,
  );
  const authorization = minter.authorization(DOCTOR_SUBJECT, tenant.id);
  return { token: authorization.slice('Bearer '.length), minted: true };
}

/** Check 1. Returns the base URL and secret when there is a remote API to check. */
function checkConfig(
  config: Config,
  report: Report,
): { baseUrl: string; secret: string } | undefined {
  const baseUrl = config.goApiBaseUrl;
  if (baseUrl === undefined) {
    report.pass(
      'configuration: no TOOLBRIDGE_GO_API_BASE_URL, so the gateway starts its embedded ToolBridge API on loopback; there is no remote API to check',
    );
    return undefined;
  }
  const secret = config.tenantHeaderSecret;
  if (secret === undefined) {
    report.fail(
      'configuration: TOOLBRIDGE_TENANT_HEADER_SECRET is not set',
      "set it to the API's TENANT_HEADER_SECRET",
    );
    return undefined;
  }
  const tenant = tenantOf(config);
  const tenantText =
    config.tenantId !== undefined
      ? `tenant ${JSON.stringify(config.tenantId)} pinned by TOOLBRIDGE_TENANT_ID`
      : `tenant from each client token's '${config.auth.tenantClaim}' claim${tenant === undefined ? '' : ` (${JSON.stringify(tenant.id)} in TOOLBRIDGE_JWT_TOKEN)`}`;
  const identity = `backend identity: ${describeBackendAuth(config.backendAuth.mode)}`;
  report.pass(
    `configuration: Go API ${baseUrl}, ${tenantText}, tenant header secret set, ${identity}`,
  );
  for (const warning of config.warnings) report.warn(`configuration: ${warning}`);
  return { baseUrl, secret };
}

async function checkRemote(
  config: Config,
  report: Report,
  ctx: ProbeContext,
  secret: string,
  session: SessionToken,
): Promise<void> {
  const healthz = await probe(ctx, 'GET', '/healthz');
  const label = `backend reachable (${ctx.target.hostPort})`;
  if (!healthz.ok) {
    report.fail(`${label}: ${healthz.problem}`, healthz.fix);
    report.skip('clock skew and session creation: skipped (the API is unreachable)');
    return;
  }
  const { status, receivedAt, sentAt } = healthz.reply;
  if (status !== 200) {
    report.fail(
      `${label}: GET ${ctx.target.prefix}/healthz answered ${statusLine(status)}, expected 200`,
      'check that TOOLBRIDGE_GO_API_BASE_URL points at the ToolBridge API (host, port and any path prefix)',
    );
    report.skip('clock skew and session creation: skipped (not the ToolBridge API, or unhealthy)');
    return;
  }
  report.pass(
    `${label}: GET ${ctx.target.prefix}/healthz → 200 in ${Math.round(receivedAt - sentAt)} ms`,
  );
  const measured = await measureSkew(ctx, healthz.reply);
  if (!judgeSkew(report, measured)) {
    report.skip(
      'session creation: skipped (every signature would be refused until the clocks agree)',
    );
    return;
  }
  await checkSession(report, ctx, {
    ...session,
    secret,
    tenant: tenantOf(config),
    tenantClaim: config.auth.tenantClaim,
    skewMeasured: measured !== undefined,
  });
}

export async function runDoctor(
  config: Config,
  out: Sink,
  options: DoctorOptions = {},
): Promise<number> {
  const now = options.now ?? Date.now;
  const session = sessionToken(config, now);
  const report = createReport(out, [
    config.tenantHeaderSecret,
    session.token,
    ...(session.token?.split('.') ?? []),
    config.auth.jwtSecret,
    config.backendAuth.secret,
    config.redisPassword,
    ...redisUrlPasswords(config.redisUrl),
    config.backChannel.identitySecret,
    options.identityToken,
    ...(options.identityToken?.split('.') ?? []),
  ]);
  const remote = checkConfig(config, report);
  if (remote !== undefined) {
    const timeoutMs = options.timeoutMs ?? DOCTOR_TIMEOUT_MS;
    const dispatcher = options.dispatcher ?? createProbeAgent(timeoutMs);
    const ctx: ProbeContext = {
      target: targetOf(remote.baseUrl),
      dispatcher,
      timeoutMs,
      now,
    };
    try {
      await checkRemote(config, report, ctx, remote.secret, session);
    } finally {
      // destroy, not close: a timed-out request must not keep the process alive.
      if (dispatcher !== options.dispatcher) await dispatcher.destroy();
    }
  }
  // Independent of the API: sessions need their store whether or not the API answers.
  await checkRedis(config, report, options.timeoutMs ?? DOCTOR_TIMEOUT_MS);
  await checkAgentRuntimes(config, report, {
    token: options.identityToken,
    now,
    jwks: options.jwks,
  });
  const failures = report.failures;
  report.note(
    failures === 0
      ? 'doctor: all checks passed'
      : `doctor: ${failures} check${failures === 1 ? '' : 's'} failed`,
  );
  return failures === 0 ? 0 : 1;
}
