/**
 * Minimal HTTP client for the contract suite: raw requests, JWT minting, and a per-user client
 * that authenticates, signs tenant headers and carries a sync session on every request.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { createTenantSigner } from '../../../src/tenant-headers/index.ts';
import type { Target } from './target.ts';

export const parseJson = (text: string): unknown => JSON.parse(text);

export interface Reply {
  readonly status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** Header values; `null` removes a default header. Names are case-insensitive. */
export type HeaderOverrides = Readonly<Record<string, string | null>>;

export interface RawRequest {
  readonly method: Dispatcher.HttpMethod;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export async function send(target: Target, req: RawRequest): Promise<Reply> {
  const response = await request(`${target.url}${req.path}`, {
    method: req.method,
    headers: req.headers ?? {},
    ...(req.body === undefined ? {} : { body: req.body }),
    dispatcher: target.dispatcher,
  });
  const text = await response.body.text();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  let json: unknown;
  try {
    json = parseJson(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers, text, json };
}

// ---------------------------------------------------------------------------------------------
// Tokens

export type HsAlg = 'HS256' | 'HS384' | 'HS512';

export interface MintOptions {
  readonly alg?: HsAlg;
  /** Signing secret; defaults to the target's JWT secret. */
  readonly secret?: string;
  /** Seconds from now for `exp`; `null` omits the claim. Default 3600. */
  readonly expiresIn?: number | null;
  /** Seconds from now for `nbf`; omitted by default. */
  readonly notBefore?: number;
}

/** An HS-signed token for `sub` (omit `sub` with `null`), with the target's extra claims. */
export async function mintToken(
  target: Target,
  sub: string | null,
  options: MintOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { ...target.extraClaims, iat: now };
  if (sub !== null) claims.sub = sub;
  const expiresIn = options.expiresIn === undefined ? 3600 : options.expiresIn;
  if (expiresIn !== null) claims.exp = now + expiresIn;
  if (options.notBefore !== undefined) claims.nbf = now + options.notBefore;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(options.secret ?? target.jwtSecret));
}

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/**
 * A hand-built compact JWT, for shapes jose refuses to produce (alg "none", non-string sub).
 * With `hmacSecret` the signature is a real HS256 MAC; otherwise it is empty.
 */
export function rawToken(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  hmacSecret?: string,
): string {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature =
    hmacSecret === undefined
      ? ''
      : createHmac('sha256', Buffer.from(hmacSecret, 'utf8'))
          .update(signingInput)
          .digest('base64url');
  return `${signingInput}.${signature}`;
}

// ---------------------------------------------------------------------------------------------
// Per-user client

export interface Session {
  readonly id: string;
  readonly epoch: number;
}

export interface CallInit {
  /** JSON body (serialised; Content-Type: application/json is added). */
  readonly json?: unknown;
  /** Raw body, sent verbatim with Content-Type: application/json unless overridden. */
  readonly body?: string | Buffer;
  readonly headers?: HeaderOverrides;
}

export interface User {
  /** The JWT subject (not a UUID, so it cannot be confused with the server's user id). */
  readonly sub: string;
  readonly token: string;
  /** The session created by `newUser`; replaced by `startSession`. */
  session: Session;
  /**
   * A request with the full header set: Authorization, X-TB-* (when configured),
   * X-Sync-Session and X-Sync-Epoch. Overrides are merged last.
   */
  call(method: Dispatcher.HttpMethod, path: string, init?: CallInit): Promise<Reply>;
  /** Like `call`, without X-Sync-Session / X-Sync-Epoch. */
  bare(method: Dispatcher.HttpMethod, path: string, init?: CallInit): Promise<Reply>;
  /** POST /v1/sync/sessions; the new session becomes `user.session`. */
  startSession(): Promise<Session>;
}

/** Freshly signed X-TB-* headers for the target, or none when it has no tenant secret. */
export function tenantHeaders(target: Target, tenantId = target.tenantId): Record<string, string> {
  if (target.tenantSecret === undefined) return {};
  return { ...createTenantSigner({ tenantId, secret: target.tenantSecret }).headers() };
}

export function mergeHeaders(
  base: Readonly<Record<string, string>>,
  overrides: HeaderOverrides = {},
): Record<string, string> {
  const merged = new Map<string, [string, string]>();
  for (const [name, value] of Object.entries(base)) merged.set(name.toLowerCase(), [name, value]);
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) merged.delete(name.toLowerCase());
    else merged.set(name.toLowerCase(), [name, value]);
  }
  return Object.fromEntries(merged.values());
}

const sessionReply = z.object({ id: z.string().min(1), epoch: z.number().int() });

function readSession(reply: Reply): Session {
  if (reply.status !== 201) {
    throw new Error(`session creation failed: ${reply.status} ${reply.text}`);
  }
  return sessionReply.parse(reply.json);
}

export const newSub = (): string => `contract-${randomUUID()}`;

/** A fresh random user with a token and (unless `session: false`) a sync session. */
export async function newUser(
  target: Target,
  options: { readonly session?: boolean; readonly sub?: string } = {},
): Promise<User> {
  const sub = options.sub ?? newSub();
  const token = await mintToken(target, sub);
  const authHeaders = (): Record<string, string> => ({
    Authorization: `Bearer ${token}`,
    ...tenantHeaders(target),
  });
  const build = (
    method: Dispatcher.HttpMethod,
    path: string,
    base: Record<string, string>,
    init: CallInit,
  ): RawRequest => {
    const body = init.json === undefined ? init.body : JSON.stringify(init.json);
    const withType = body === undefined ? base : { ...base, 'Content-Type': 'application/json' };
    return {
      method,
      path,
      headers: mergeHeaders(withType, init.headers),
      ...(body === undefined ? {} : { body }),
    };
  };

  const user: User = {
    sub,
    token,
    session: { id: '', epoch: 0 },
    call(method, path, init = {}) {
      const base = {
        ...authHeaders(),
        'X-Sync-Session': user.session.id,
        'X-Sync-Epoch': String(user.session.epoch),
      };
      return send(target, build(method, path, base, init));
    },
    bare(method, path, init = {}) {
      return send(target, build(method, path, authHeaders(), init));
    },
    async startSession() {
      const reply = await user.bare('POST', '/v1/sync/sessions');
      user.session = readSession(reply);
      return user.session;
    },
  };
  if (options.session !== false) await user.startSession();
  return user;
}
