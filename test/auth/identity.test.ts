/** What each TOOLBRIDGE_BACKEND_AUTH mode makes of a verified caller (CONTRACT.md A.2, E.4). */
import { describe, expect, it } from 'vitest';
import { createIdentityResolver, type BackendAuthMode } from '../../src/auth/identity.ts';
import type { Principal } from '../../src/auth/verifier.ts';

const SHARED = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZXJ2aWNlIn0.c2ln';
const caller: Principal = {
  subject: 'alice',
  tenantId: 'tenant-a',
  authorization: 'Bearer client.token.value',
};
const anonymous: Principal = { subject: 'anonymous', tenantId: 'tenant-a', authorization: '' };

describe('createIdentityResolver', () => {
  it.each<[BackendAuthMode, string | undefined, unknown]>([
    [
      'forward',
      undefined,
      { authorization: 'Bearer client.token.value', subject: 'alice', tenantId: 'tenant-a' },
    ],
    [
      'shared',
      SHARED,
      { authorization: `Bearer ${SHARED}`, subject: 'service', tenantId: 'tenant-a' },
    ],
    ['mint', undefined, { issued: 'mint', subject: 'alice', tenantId: 'tenant-a' }],
    [
      'exchange',
      undefined,
      {
        issued: 'exchange',
        subject: 'alice',
        tenantId: 'tenant-a',
        callerAuthorization: 'Bearer client.token.value',
      },
    ],
  ])('%s', (mode, sharedToken, expected) => {
    expect(createIdentityResolver(sharedToken, mode)(caller)).toEqual(expected);
  });

  it('acts for a service-key caller by minting only; forward and exchange have no token', () => {
    const onBehalf: Principal = {
      subject: 'bob',
      tenantId: 'tenant-a',
      authorization: '',
      serviceKeyId: 'runtime',
    };
    expect(createIdentityResolver(undefined, 'mint')(onBehalf)).toEqual({
      issued: 'mint',
      subject: 'bob',
      tenantId: 'tenant-a',
    });
    expect(createIdentityResolver(SHARED, 'shared')(onBehalf)).toEqual({
      authorization: `Bearer ${SHARED}`,
      subject: 'service',
      tenantId: 'tenant-a',
    });
    expect(createIdentityResolver(undefined, 'forward')(onBehalf)).toBeUndefined();
    expect(createIdentityResolver(undefined, 'exchange')(onBehalf)).toBeUndefined();
    // Without a key, an empty authorization is still nobody, minting or not.
    expect(createIdentityResolver(undefined, 'mint')(anonymous)).toBeUndefined();
  });

  it('keeps the old defaults: shared with a token, forward without', () => {
    expect(createIdentityResolver(SHARED)(caller)).toMatchObject({ subject: 'service' });
    expect(createIdentityResolver(undefined)(caller)).toMatchObject({
      authorization: caller.authorization,
    });
  });

  it.each<BackendAuthMode>(['forward', 'mint', 'exchange'])(
    '%s has nobody to act as for an anonymous caller',
    (mode) => {
      expect(createIdentityResolver(undefined, mode)(anonymous)).toBeUndefined();
    },
  );

  it('refuses shared without a shared token', () => {
    expect(() => createIdentityResolver(undefined, 'shared')).toThrow(
      'TOOLBRIDGE_BACKEND_AUTH=shared needs TOOLBRIDGE_JWT_TOKEN',
    );
  });
});
