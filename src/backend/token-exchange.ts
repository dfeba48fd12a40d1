import { SignJWT } from 'jose';
import { BACKEND_ISSUER, type Principal } from './auth.ts';
import { decodeObject, goField } from './go-wire.ts';
import { sendError, sendJson, type Exchange } from './http.ts';

/**
 * POST /auth/token-exchange (CONTRACT.md E.4): the caller's token, validated like any other, buys
 * a backend JWT for the same subject, valid one hour, in an RFC 8693 answer. 401 for a missing,
 * malformed or invalid token; 400 for a body that is not a JSON object, another grant_type or no
 * audience.
 */

export const TOKEN_EXCHANGE_PATH = '/auth/token-exchange';
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const BACKEND_TOKEN_SECONDS = 3600;

export interface TokenExchangeDeps {
  readonly jwtSecret: string;
  readonly now: () => number;
}

export function createTokenExchange({ jwtSecret, now }: TokenExchangeDeps) {
  const key = new TextEncoder().encode(jwtSecret);
  return async (
    exchange: Exchange,
    principal: Principal | undefined,
    body: () => Promise<string>,
  ): Promise<void> => {
    if (principal === undefined) {
      sendError(exchange, 401, 'invalid or missing token');
      return;
    }
    const decoded = decodeObject(await body());
    if (decoded.kind !== 'object') {
      sendError(exchange, 400, 'invalid request body');
      return;
    }
    if (goField(decoded.value, 'grant_type') !== TOKEN_EXCHANGE_GRANT) {
      sendError(exchange, 400, 'unsupported grant_type');
      return;
    }
    const audience = goField(decoded.value, 'audience');
    if (typeof audience !== 'string' || audience === '') {
      sendError(exchange, 400, 'audience is required');
      return;
    }
    const issuedAt = Math.floor(now() / 1000);
    const token = await new SignJWT({ token_type: 'backend', exchanged_from: 'mcp_oauth' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(principal.subject)
      .setIssuer(BACKEND_ISSUER)
      .setAudience(audience)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + BACKEND_TOKEN_SECONDS)
      .sign(key);
    // A Go struct: the fields in declaration order.
    sendJson(exchange, 200, {
      access_token: token,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: BACKEND_TOKEN_SECONDS,
    });
  };
}
