/** CONTRACT.md B.3 (tenant header validation) and B.1 step 2 (when it runs). */
import { describe, expect, it } from 'vitest';
import { sign, toWireValue } from '../../../src/tenant-headers/index.ts';
import { mintToken, newSub, newUser, send, tenantHeaders, type Reply } from './client.ts';
import { createItem, notes } from './entities.ts';
import { expectTextError, itemOf } from './shapes.ts';
import { embedded, tenantHeadersConfigured, useTarget, type Target } from './target.ts';

const TENANT_ERROR = 'Unauthorized: invalid tenant headers';

const expectTenantRejected = (reply: Reply): void => {
  expectTextError(reply, 401, TENANT_ERROR);
};

/** Headers signed over exactly the strings given (the tenant id is sent as its UTF-8 bytes). */
function signed(tenantId: string, timestamp: string, secret: string): Record<string, string> {
  return {
    'X-TB-Tenant-ID': toWireValue(tenantId),
    'X-TB-Timestamp': timestamp,
    'X-TB-Signature': sign(secret, tenantId, timestamp),
  };
}

const nowMs = (offsetSeconds = 0): string => String(Date.now() + offsetSeconds * 1000);

type HeaderCase = readonly [string, (t: Target, secret: string) => Record<string, string>];

const without = (headers: Record<string, string>, name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));

const rejectedCases: readonly HeaderCase[] = [
  ['no X-TB-* headers at all', () => ({})],
  ['X-TB-Tenant-ID missing', (t, s) => without(signed(t.tenantId, nowMs(), s), 'X-TB-Tenant-ID')],
  ['X-TB-Tenant-ID empty', (_t, s) => signed('', nowMs(), s)],
  ['X-TB-Timestamp missing', (t, s) => without(signed(t.tenantId, nowMs(), s), 'X-TB-Timestamp')],
  ['X-TB-Timestamp empty', (t, s) => ({ ...signed(t.tenantId, '', s), 'X-TB-Timestamp': '' })],
  ['X-TB-Signature missing', (t, s) => without(signed(t.tenantId, nowMs(), s), 'X-TB-Signature')],
  ['X-TB-Signature empty', (t, s) => ({ ...signed(t.tenantId, nowMs(), s), 'X-TB-Signature': '' })],
  ['a non-numeric timestamp (signed as sent)', (t, s) => signed(t.tenantId, 'yesterday', s)],
  ['a fractional timestamp (signed as sent)', (t, s) => signed(t.tenantId, `${nowMs()}.5`, s)],
  [
    'a timestamp in seconds instead of milliseconds',
    (t, s) => signed(t.tenantId, String(Math.floor(Date.now() / 1000)), s),
  ],
  ['a timestamp 301 s in the past', (t, s) => signed(t.tenantId, nowMs(-301), s)],
  ['a timestamp 301 s in the future', (t, s) => signed(t.tenantId, nowMs(301), s)],
  ['a timestamp an hour in the past', (t, s) => signed(t.tenantId, nowMs(-3600), s)],
  ['a signature made with another secret', (t, s) => signed(t.tenantId, nowMs(), `${s}-x`)],
  [
    'a signature made for another tenant id',
    (t, s) => {
      const ts = nowMs();
      return { ...signed(`${t.tenantId}-other`, ts, s), 'X-TB-Tenant-ID': t.tenantId };
    },
  ],
  [
    'a signature made for another timestamp',
    (t, s) => {
      const ts = nowMs();
      return { ...signed(t.tenantId, String(Number(ts) - 1), s), 'X-TB-Timestamp': ts };
    },
  ],
  [
    'the right signature in upper-case hex (compared case-sensitively)',
    (t, s) => {
      const headers = signed(t.tenantId, nowMs(), s);
      return { ...headers, 'X-TB-Signature': headers['X-TB-Signature']!.toUpperCase() };
    },
  ],
  [
    'a truncated signature',
    (t, s) => {
      const headers = signed(t.tenantId, nowMs(), s);
      return { ...headers, 'X-TB-Signature': headers['X-TB-Signature']!.slice(0, 63) };
    },
  ],
];

const acceptedCases: readonly HeaderCase[] = [
  ['freshly signed headers', (t) => tenantHeaders(t)],
  ['a timestamp 299 s in the past', (t, s) => signed(t.tenantId, nowMs(-299), s)],
  ['a timestamp 299 s in the future', (t, s) => signed(t.tenantId, nowMs(299), s)],
  [
    'a "+"-signed timestamp (ParseInt accepts it; signed as sent)',
    (t, s) => signed(t.tenantId, `+${nowMs()}`, s),
  ],
  [
    'a timestamp with leading zeros (signed as sent)',
    (t, s) => signed(t.tenantId, `000${nowMs()}`, s),
  ],
  ['any other tenant id, e.g. with colons', (_t, s) => signed('org:acme:prod', nowMs(), s)],
  ['a non-ASCII tenant id sent as UTF-8 bytes', (_t, s) => signed('テナント-ü-🚀', nowMs(), s)],
  [
    'lower-case header names',
    (t, s) =>
      Object.fromEntries(
        Object.entries(signed(t.tenantId, nowMs(), s)).map(([k, v]) => [k.toLowerCase(), v]),
      ),
  ],
];

const target = useTarget();

async function sessionWith(t: Target, headers: Record<string, string>): Promise<Reply> {
  return send(t, {
    method: 'POST',
    path: '/v1/sync/sessions',
    headers: { Authorization: `Bearer ${await mintToken(t, newSub())}`, ...headers },
  });
}

// Without CONTRACT_TENANT_SECRET a remote target either does not check X-TB-* headers or cannot be
// called at all, so this group only exists when the secret is known (always, in embedded mode).
if (tenantHeadersConfigured) {
  describe('tenant header validation (B.3)', () => {
    const secret = (): string => target().tenantSecret!;

    it.each(rejectedCases)('%s ⇒ 401 invalid tenant headers', async (_n, make) => {
      expectTenantRejected(await sessionWith(target(), make(target(), secret())));
    });

    it.each(acceptedCases)('%s ⇒ accepted (201)', async (_n, make) => {
      const reply = await sessionWith(target(), make(target(), secret()));
      expect(reply.status, reply.text).toBe(201);
    });

    it('a JWT failure wins over a tenant-header failure (JWT runs first)', async () => {
      const reply = await send(target(), {
        method: 'POST',
        path: '/v1/sync/sessions',
        headers: { Authorization: 'Bearer not-a-jwt' },
      });
      expectTextError(reply, 401, 'unauthorized');
    });

    const routes: readonly [string, string][] = [
      ['GET', '/v1/notes'],
      ['POST', '/v1/sync/wipe'],
      ['GET', '/v1/sync/state'],
    ];
    it.each(routes)('%s %s also requires them (checked before the session)', async (m, path) => {
      const user = await newUser(target());
      const stripped = Object.fromEntries(
        Object.keys(tenantHeaders(target())).map((name) => [name, null]),
      );
      expectTenantRejected(await user.call(m, path, { headers: stripped }));
      expectTenantRejected(
        await user.call(m, path, { headers: { ...stripped, 'X-Sync-Session': null } }),
      );
    });

    it('session GET/DELETE also require them', async () => {
      const user = await newUser(target());
      const stripped = Object.fromEntries(
        Object.keys(tenantHeaders(target())).map((name) => [name, null]),
      );
      const path = `/v1/sync/sessions/${user.session.id}`;
      expectTenantRejected(await user.bare('GET', path, { headers: stripped }));
      expectTenantRejected(await user.bare('DELETE', path, { headers: stripped }));
      expect((await user.bare('GET', path)).status).toBe(200);
    });

    it('the tenant id does not scope data: another validly signed tenant sees the same rows', async () => {
      const t = target();
      const user = await newUser(t);
      const note = await createItem(user, notes);
      const reply = await user.call('GET', `/v1/notes/${note.uid}`, {
        headers: signed('some-other-tenant', nowMs(), secret()),
      });
      expect(itemOf(reply)).toEqual(note);
    });
  });
}

// B.1: the middleware is installed only when TENANT_HEADER_SECRET is non-empty. The embedded
// backend is started a second time without one; a remote target without CONTRACT_TENANT_SECRET
// is taken to be such an API (otherwise no request of this suite could succeed).
if (embedded || !tenantHeadersConfigured) {
  describe('without a tenant header secret (B.1)', () => {
    const open = embedded ? useTarget({ withoutTenantSecret: true }) : target;

    it('accepts requests without X-TB-* headers', async () => {
      expect((await sessionWith(open(), {})).status).toBe(201);
    });

    it('ignores malformed X-TB-* headers', async () => {
      const reply = await sessionWith(open(), {
        'X-TB-Tenant-ID': 't',
        'X-TB-Timestamp': 'nope',
        'X-TB-Signature': 'bad',
      });
      expect(reply.status).toBe(201);
    });

    it('serves REST calls without X-TB-* headers', async () => {
      const user = await newUser(open());
      expect((await user.call('GET', '/v1/notes')).status).toBe(200);
    });
  });
}
