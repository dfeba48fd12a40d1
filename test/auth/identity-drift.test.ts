import { describe, expect, it } from 'vitest';
import {
  DRIFT_LOG_INTERVAL_MS,
  createIdentityFailureReporter,
  identityFailureReason,
  type IdentityFailureReason,
} from '../../src/auth/identity-drift.ts';
import { AppError, type ErrorCode } from '../../src/errors.ts';
import { capturingLogger } from '../helpers/log-capture.ts';

const SECRET = 'identity-secret-SENTINEL-drift-0001';

function reporter() {
  let clock = 1_000_000;
  const counted: IdentityFailureReason[] = [];
  const captured = capturingLogger('info', [SECRET]);
  const report = createIdentityFailureReporter({
    log: captured.logger,
    count: (reason) => counted.push(reason),
    now: () => clock,
  });
  const advance = (ms: number) => {
    clock += ms;
  };
  return { report, counted, advance, ...captured };
}

const signature = (source: 'secret' | 'jwks' = 'secret') =>
  new AppError('IDENTITY_SIGNATURE', "the x-toolbridge-user token's signature does not verify", {
    details: { source, serviceKey: 'runtime-staging' },
  });

const SECRET_DRIFT =
  'identity tokens fail signature verification: TOOLBRIDGE_IDENTITY_SECRET does not match the secret the agent platform signs them with';

describe('identityFailureReason', () => {
  it.each([
    ['IDENTITY_MISSING', 'missing'],
    ['IDENTITY_INVALID', 'invalid'],
    ['IDENTITY_EXPIRED', 'expired'],
    ['IDENTITY_TTL_TOO_LONG', 'ttl_too_long'],
    ['IDENTITY_SIGNATURE', 'signature'],
    ['TENANT_FORBIDDEN', 'tenant_forbidden'],
    ['TENANT_UNRESOLVED', 'tenant_unresolved'],
    ['AUTH_UNAVAILABLE', 'keys_unavailable'],
    ['UPSTREAM_TIMEOUT', undefined],
    ['SERVICE_KEY_INVALID', undefined],
  ] satisfies [ErrorCode, IdentityFailureReason | undefined][])('%s → %s', (code, reason) => {
    expect(identityFailureReason(code)).toBe(reason);
  });
});

describe('createIdentityFailureReporter', () => {
  it('counts every refusal by reason and logs nothing for those that are not drift', () => {
    const { report, counted, records } = reporter();
    report(new AppError('IDENTITY_EXPIRED', 'expired'));
    report(new AppError('IDENTITY_TTL_TOO_LONG', 'too long'));
    report(new AppError('TENANT_FORBIDDEN', 'tenant'));
    report(new AppError('UPSTREAM_TIMEOUT', 'not an identity problem'));
    expect(counted).toEqual(['expired', 'ttl_too_long', 'tenant_forbidden']);
    expect(records()).toEqual([]);
  });

  it('logs signature failures once per interval, with how many there were, and counts each', () => {
    const { report, counted, records, advance } = reporter();
    report(signature());
    for (let i = 0; i < 5; i += 1) {
      advance(10_000);
      report(signature());
    }
    expect(records()).toHaveLength(1);
    advance(DRIFT_LOG_INTERVAL_MS - 50_000);
    report(signature());
    expect(counted).toEqual(Array.from({ length: 7 }, () => 'signature'));
    expect(records()).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: SECRET_DRIFT,
        code: 'IDENTITY_SIGNATURE',
        via: 'secret',
        failures: 1,
        intervalSeconds: 60,
      }),
      expect.objectContaining({ msg: SECRET_DRIFT, failures: 6 }),
    ]);
  });

  it('names the key set instead when JWKS-verified identities fail, on a clock of its own', () => {
    const { report, records } = reporter();
    report(signature('secret'));
    report(signature('jwks'));
    report(signature('jwks'));
    expect(records().map((record) => [record['via'], record['msg']])).toEqual([
      ['secret', SECRET_DRIFT],
      [
        'jwks',
        'identity tokens fail signature verification: the agent platform signs them with a key TOOLBRIDGE_JWT_JWKS_URL does not publish',
      ],
    ]);
  });

  it('logs neither the secret nor a token', () => {
    const { report, text } = reporter();
    report(
      new AppError('IDENTITY_SIGNATURE', 'signature does not verify', {
        details: { source: 'secret' },
        cause: new Error(`secret ${SECRET} token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln`),
      }),
    );
    expect(text()).toContain('TOOLBRIDGE_IDENTITY_SECRET does not match');
    expect(text()).not.toContain('SENTINEL');
    expect(text()).not.toContain('eyJ');
  });
});
