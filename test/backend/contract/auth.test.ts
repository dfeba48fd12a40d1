/** CONTRACT.md B.2: JWT extraction and validation, and the dev-mode X-Debug-Sub fallback. */
import { randomUUID } from 'node:crypto';
import { SignJWT, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintToken, newSub, newUser, rawToken, send, tenantHeaders, type Reply } from './client.ts';
import type { HsAlg } from './client.ts';
import { expectTextError, sessionBody } from './shapes.ts';
import { embedded, useTarget, type Target } from './target.ts';

const target = useTarget();

/** POST /v1/sync/sessions with valid tenant headers and the given Authorization value. */
function createSession(
  t: Target,
  authorization: string | null,
  extra: Record<string, string> = {},
) {
  return send(t, {
    method: 'POST',
    path: '/v1/sync/sessions',
    headers: {
      ...tenantHeaders(t),
      ...(authorization === null ? {} : { Authorization: authorization }),
      ...extra,
    },
  });
}

/** B.1/B.2: every JWT failure is `http.Error(w, "unauthorized", 401)`. */
const expectUnauthorized = (reply: Reply): void => {
  expectTextError(reply, 401, 'unauthorized');
};

const rejected: readonly [string, (t: Target) => Promise<string | null>][] = [
  ['no Authorization header', () => Promise.resolve(null)],
  ['"Bearer" (not longer than 7 chars)', () => Promise.resolve('Bearer')],
  ['"Bearer " with nothing after it', () => Promise.resolve('Bearer ')],
  ['lower-case "bearer " prefix', async (t) => `bearer ${await mintToken(t, newSub())}`],
  ['"Basic" scheme', async (t) => `Basic ${await mintToken(t, newSub())}`],
  ['a bare token without scheme', (t) => mintToken(t, newSub())],
  ['a token that is not a JWT', () => Promise.resolve('Bearer not-a-jwt')],
  [
    'a token signed with another key',
    async (t) => `Bearer ${await mintToken(t, newSub(), { secret: `${t.jwtSecret}-other` })}`,
  ],
  [
    'an expired token (exp 60 s ago, no leeway)',
    async (t) => `Bearer ${await mintToken(t, newSub(), { expiresIn: -60 })}`,
  ],
  [
    'a token whose nbf is an hour ahead',
    async (t) => `Bearer ${await mintToken(t, newSub(), { notBefore: 3600 })}`,
  ],
  ['a token without sub', async (t) => `Bearer ${await mintToken(t, null)}`],
  ['a token with an empty sub', async (t) => `Bearer ${await mintToken(t, '')}`],
  [
    'a token with a numeric sub',
    (t) =>
      Promise.resolve(
        `Bearer ${rawToken(
          { alg: 'HS256', typ: 'JWT' },
          { ...t.extraClaims, sub: 12345, exp: Math.floor(Date.now() / 1000) + 3600 },
          t.jwtSecret,
        )}`,
      ),
  ],
  [
    'an unsigned alg "none" token',
    (t) =>
      Promise.resolve(
        `Bearer ${rawToken(
          { alg: 'none', typ: 'JWT' },
          { ...t.extraClaims, sub: newSub(), exp: Math.floor(Date.now() / 1000) + 3600 },
        )}`,
      ),
  ],
  [
    'an RS256 token (no AUTH0_DOMAIN, and an unknown key anyway)',
    async (t) => {
      const { privateKey } = await generateKeyPair('RS256');
      const token = await new SignJWT({ ...t.extraClaims, sub: newSub() })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: randomUUID() })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
      return `Bearer ${token}`;
    },
  ],
];

describe('JWT rejection (B.2)', () => {
  it.each(rejected)('%s ⇒ 401 text/plain "unauthorized"', async (_name, authorization) => {
    expectUnauthorized(await createSession(target(), await authorization(target())));
  });

  it('ignores X-Debug-Sub outside dev mode', async () => {
    expectUnauthorized(await createSession(target(), null, { 'X-Debug-Sub': newSub() }));
  });
});

describe('JWT acceptance (B.2)', () => {
  const algs: readonly HsAlg[] = ['HS256', 'HS384', 'HS512'];
  it.each(algs)('accepts an %s token signed with JWT_HS256_SECRET', async (alg) => {
    const t = target();
    const reply = await createSession(t, `Bearer ${await mintToken(t, newSub(), { alg })}`);
    expect(reply.status, reply.text).toBe(201);
  });

  it('accepts a token without exp (exp is not required)', async () => {
    const t = target();
    const token = await mintToken(t, newSub(), { expiresIn: null });
    expect((await createSession(t, `Bearer ${token}`)).status).toBe(201);
  });

  it('accepts a token whose nbf is in the past', async () => {
    const t = target();
    const token = await mintToken(t, newSub(), { notBefore: -60 });
    expect((await createSession(t, `Bearer ${token}`)).status).toBe(201);
  });

  it('maps one sub to one server user id, and different subs to different ids', async () => {
    const t = target();
    const sub = newSub();
    const a = sessionBody.parse((await createSession(t, `Bearer ${await mintToken(t, sub)}`)).json);
    const b = sessionBody.parse((await createSession(t, `Bearer ${await mintToken(t, sub)}`)).json);
    const c = sessionBody.parse(
      (await createSession(t, `Bearer ${await mintToken(t, newSub())}`)).json,
    );
    expect(b.userId).toBe(a.userId);
    expect(c.userId).not.toBe(a.userId);
  });
});

describe('every authenticated route runs the JWT check first (B.1)', () => {
  const uid = randomUUID();
  const routes: readonly [string, string][] = [
    ['POST', '/v1/sync/sessions'],
    ['GET', `/v1/sync/sessions/${uid}`],
    ['DELETE', `/v1/sync/sessions/${uid}`],
    ['POST', '/v1/sync/wipe'],
    ['GET', '/v1/sync/state'],
    ...['notes', 'tasks', 'comments', 'chats', 'chat_messages'].flatMap((e): [string, string][] => [
      ['GET', `/v1/${e}`],
      ['POST', `/v1/${e}`],
      ['GET', `/v1/${e}/${uid}`],
      ['PUT', `/v1/${e}/${uid}`],
      ['PATCH', `/v1/${e}/${uid}`],
      ['DELETE', `/v1/${e}/${uid}`],
      ['POST', `/v1/${e}/${uid}/archive`],
      ['POST', `/v1/${e}/${uid}/process`],
    ]),
  ];

  it.each(routes)('%s %s without a token ⇒ 401 even with a valid session', async (method, path) => {
    const user = await newUser(target());
    const reply = await user.call(method, path, {
      ...(method === 'GET' || method === 'DELETE' ? {} : { json: { confirm: 'WIPE' } }),
      headers: { Authorization: null },
    });
    expectUnauthorized(reply);
  });
});

// X-Debug-Sub exists only with Go ENV=dev, which only the embedded backend can be switched into.
if (embedded) {
  describe('dev mode: X-Debug-Sub (B.2)', () => {
    const dev = useTarget({ devMode: true });

    const debugSession = (sub: string, authorization: string | null = null) =>
      createSession(dev(), authorization, { 'X-Debug-Sub': sub });

    const userIdOf = (reply: Reply): string => {
      expect(reply.status, reply.text).toBe(201);
      return sessionBody.parse(reply.json).userId;
    };

    it('supplies the subject when there is no token', async () => {
      const sub = newSub();
      const viaDebug = userIdOf(await debugSession(sub));
      const viaToken = userIdOf(
        await createSession(dev(), `Bearer ${await mintToken(dev(), sub)}`),
      );
      expect(viaDebug).toBe(viaToken);
    });

    it('applies when Authorization is present but is not a Bearer token', async () => {
      const sub = newSub();
      const viaDebug = userIdOf(await debugSession(sub, 'Basic dXNlcjpwYXNz'));
      expect(viaDebug).toBe(userIdOf(await debugSession(sub)));
    });

    it('is ignored when a valid bearer token is present (the token subject wins)', async () => {
      const tokenSub = newSub();
      const debugSub = newSub();
      const mixed = userIdOf(
        await debugSession(debugSub, `Bearer ${await mintToken(dev(), tokenSub)}`),
      );
      expect(mixed).toBe(
        userIdOf(await createSession(dev(), `Bearer ${await mintToken(dev(), tokenSub)}`)),
      );
      expect(mixed).not.toBe(userIdOf(await debugSession(debugSub)));
    });

    it('does not rescue an invalid bearer token', async () => {
      expectUnauthorized(await debugSession(newSub(), 'Bearer not-a-jwt'));
    });

    it('without X-Debug-Sub and without a token ⇒ 401', async () => {
      expectUnauthorized(await createSession(dev(), null));
    });

    it('an empty X-Debug-Sub is no subject ⇒ 401', async () => {
      expectUnauthorized(await debugSession(''));
    });

    it('authenticates REST calls too', async () => {
      const t = dev();
      const sub = newSub();
      const session = sessionBody.parse((await debugSession(sub)).json);
      const reply = await send(t, {
        method: 'GET',
        path: '/v1/notes',
        headers: {
          ...tenantHeaders(t),
          'X-Debug-Sub': sub,
          'X-Sync-Session': session.id,
          'X-Sync-Epoch': String(session.epoch),
        },
      });
      expect(reply.status, reply.text).toBe(200);
    });
  });
}
