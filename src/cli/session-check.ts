import { decodeJwt, type JWTPayload } from 'jose';
import { subjectOf } from '../auth/identity.ts';
import { createTenantSigner, toWireValue } from '../tenant-headers/index.ts';
import { errorText, probe, statusLine, type ProbeContext } from './probe.ts';
import type { Report } from './report.ts';

/**
 * The end-to-end check: open a sync session exactly as the gateway does (CONTRACT.md A.2 step 5)
 * and translate the Go API's terse 401 texts (B.2, B.3) into which setting is wrong.
 */

const SESSIONS_PATH = '/v1/sync/sessions';
const TENANT_REJECTED = 'Unauthorized: invalid tenant headers';
const TOKEN_REJECTED = 'unauthorized';

export const SECRET_MISMATCH =
  "TOOLBRIDGE_TENANT_HEADER_SECRET does not match the API's TENANT_HEADER_SECRET";
export const TOKEN_REFUSED =
  'the API rejected TOOLBRIDGE_JWT_TOKEN (expired, wrong key, or issuer/audience)';
export const MINTED_REFUSED =
  'the API rejected a backend token minted as the gateway mints them (TOOLBRIDGE_BACKEND_AUTH=mint): wrong secret, or issuer/audience';

export interface SessionCheck {
  readonly token: string | undefined;
  /** The token was minted here, as the gateway mints them, rather than TOOLBRIDGE_JWT_TOKEN. */
  readonly minted?: boolean;
  readonly secret: string;
  readonly tenant: { readonly id: string; readonly source: string } | undefined;
  readonly tenantClaim: string;
  /** False when skew could not be measured: then a tenant 401 may also be the clock. */
  readonly skewMeasured: boolean;
}

/** What the token itself says about why it would be refused; read without verification. */
function tokenFacts(token: string, nowMs: number): string {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    return '; it is not a decodable JWT';
  }
  const facts: string[] = [];
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= nowMs) {
    facts.push(`expired at ${new Date(claims.exp * 1000).toISOString()}`);
  }
  if (typeof claims.nbf === 'number' && claims.nbf * 1000 > nowMs) {
    facts.push(`not valid before ${new Date(claims.nbf * 1000).toISOString()}`);
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') facts.push("it has no 'sub' claim");
  return facts.length === 0 ? '' : `; the token ${facts.join(', ')}`;
}

function sessionFacts(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'epoch' in body) {
      return `, epoch ${String(body.epoch)}`;
    }
  } catch {
    // A 2xx the gateway would refuse shows up in its own logs; here the status is the point.
  }
  return '';
}

function sessionId(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'id' in body && typeof body.id === 'string') {
      return body.id;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export async function checkSession(
  report: Report,
  ctx: ProbeContext,
  check: SessionCheck,
): Promise<void> {
  const label = 'session creation with signed headers';
  if (check.token === undefined) {
    report.skip(
      `${label}: skipped. No TOOLBRIDGE_JWT_TOKEN: in per-user mode the gateway forwards each client's own token, so this check needs TOOLBRIDGE_JWT_TOKEN set for the doctor run (with TOOLBRIDGE_BACKEND_AUTH=mint and TOOLBRIDGE_TENANT_ID the doctor mints one itself)`,
    );
    return;
  }
  if (check.tenant === undefined) {
    report.skip(
      `${label}: skipped. No TOOLBRIDGE_TENANT_ID and no '${check.tenantClaim}' claim in TOOLBRIDGE_JWT_TOKEN: the tenant comes from each client's token; set TOOLBRIDGE_TENANT_ID for the doctor run to check signing`,
    );
    return;
  }
  const { token, secret, tenant } = check;
  const signer = createTenantSigner({ tenantId: tenant.id, secret, now: ctx.now });
  const subject = subjectOf(token);
  const headers = () => ({
    Authorization: `Bearer ${token}`,
    Accept: 'application/json',
    ...signer.headers(),
  });
  const result = await probe(ctx, 'POST', SESSIONS_PATH, {
    ...headers(),
    'X-Debug-Sub': toWireValue(subject),
  });
  if (!result.ok) {
    report.fail(`${label}: ${result.problem}`, result.fix);
    return;
  }
  const { status, text } = result.reply;
  const who = `tenant ${JSON.stringify(tenant.id)} from ${tenant.source}, sub ${JSON.stringify(subject)}`;
  if (status >= 200 && status <= 299) {
    report.pass(
      `${label}: POST ${SESSIONS_PATH} → ${statusLine(status)} (${who}${sessionFacts(text)})`,
    );
    // Sessions live 30 min in the API's memory; a diagnostic run should not leave one behind.
    const id = sessionId(text);
    if (id !== undefined) {
      await probe(ctx, 'DELETE', `${SESSIONS_PATH}/${encodeURIComponent(id)}`, headers());
    }
    return;
  }
  const said = errorText(text);
  if (status === 401 && said === TENANT_REJECTED) {
    const clock = check.skewMeasured ? '' : ' (or the clocks differ by more than 300 s)';
    report.fail(
      SECRET_MISMATCH,
      "copy the API's TENANT_HEADER_SECRET into TOOLBRIDGE_TENANT_HEADER_SECRET byte for byte (it is the literal text, never base64-decoded)",
      `POST ${SESSIONS_PATH} answered 401 "${TENANT_REJECTED}" for ${who}${clock}`,
    );
    return;
  }
  if (status === 401 && said === TOKEN_REJECTED && check.minted === true) {
    report.fail(
      MINTED_REFUSED,
      "set TOOLBRIDGE_BACKEND_JWT_SECRET (else TOOLBRIDGE_JWT_SECRET is used) to the API's JWT_HS256_SECRET, and, when the API has Auth0 settings, TOOLBRIDGE_BACKEND_JWT_ISSUER to https://<AUTH0_DOMAIN>/ and TOOLBRIDGE_BACKEND_JWT_AUDIENCE to its AUTH0_AUDIENCE",
      `POST ${SESSIONS_PATH} answered 401 "${TOKEN_REJECTED}" for sub ${JSON.stringify(subject)}`,
    );
    return;
  }
  if (status === 401 && said === TOKEN_REJECTED) {
    report.fail(
      `${TOKEN_REFUSED}${tokenFacts(token, ctx.now())}`,
      "mint a new token signed with the API's JWT_HS256_SECRET (with iss https://<AUTH0_DOMAIN>/ and aud AUTH0_AUDIENCE when the API sets them)",
      `POST ${SESSIONS_PATH} answered 401 "${TOKEN_REJECTED}" for sub ${JSON.stringify(subject)}`,
    );
    return;
  }
  report.fail(
    `${label}: POST ${SESSIONS_PATH} answered ${statusLine(status)}${said === undefined ? '' : `: ${said}`}`,
    "check the API's logs for this request",
  );
}
