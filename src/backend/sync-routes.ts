import type { Principal } from './auth.ts';
import { ENTITIES } from './entities.ts';
import { atoi, decodeObject, goField, goTime } from './go-wire.ts';
import { sendError, sendJson, sendText, type Exchange } from './http.ts';
import type { RateLimitConfig } from './rate-limit.ts';
import type { Session, SessionStore } from './sessions.ts';
import type { ItemStore } from './store.ts';

/** Session, epoch, wipe, state and info endpoints (CONTRACT.md B.4, B.7). */

const sessionJson = (session: Session) => ({
  id: session.id,
  userId: session.userId,
  createdAt: goTime(session.createdAtMs),
  expiresAt: goTime(session.expiresAtMs),
  epoch: session.epoch,
});

export function createSession(
  exchange: Exchange,
  principal: Principal,
  sessions: SessionStore,
): void {
  const session = sessions.create(principal.userId);
  sendJson(exchange, 201, sessionJson(session), { 'X-Sync-Epoch': String(session.epoch) });
}

/** GET and DELETE /v1/sync/sessions/{id}: plain-text errors, as http.Error in Go. */
export function ownSession(
  exchange: Exchange,
  principal: Principal,
  sessions: SessionStore,
  id: string,
): Session | undefined {
  const session = sessions.get(id);
  if (session === undefined) {
    sendText(exchange, 404, 'session not found or expired');
    return undefined;
  }
  if (session.userId !== principal.userId) {
    sendText(exchange, 403, 'forbidden');
    return undefined;
  }
  return session;
}

export function showSession(
  exchange: Exchange,
  principal: Principal,
  sessions: SessionStore,
  id: string,
): void {
  const session = ownSession(exchange, principal, sessions, id);
  if (session !== undefined) sendJson(exchange, 200, sessionJson(session));
}

export function endSession(
  exchange: Exchange,
  principal: Principal,
  sessions: SessionStore,
  id: string,
): void {
  if (ownSession(exchange, principal, sessions, id) === undefined) return;
  sessions.delete(id);
  exchange.res.writeHead(204);
  exchange.res.end();
}

/** SessionRequired: true when the request may go on; otherwise the 428/403 was sent. */
export function requireSession(
  exchange: Exchange,
  principal: Principal,
  sessions: SessionStore,
): boolean {
  const header = exchange.req.headers['x-sync-session'];
  const id = typeof header === 'string' ? header : '';
  if (id === '') {
    sendError(
      exchange,
      428,
      'X-Sync-Session header required. Please call POST /v1/sync/sessions to begin a session.',
    );
    return false;
  }
  const session = sessions.get(id);
  if (session === undefined) {
    sendError(
      exchange,
      428,
      'Invalid or expired sync session. Please call POST /v1/sync/sessions to begin a new session.',
    );
    return false;
  }
  if (session.userId !== principal.userId) {
    sendError(exchange, 403, 'Session does not belong to authenticated user.');
    return false;
  }
  return true;
}

/** EpochRequired: a client behind the server's epoch gets 409; one ahead is let through. */
export function requireEpoch(
  exchange: Exchange,
  principal: Principal,
  sessions: SessionStore,
): boolean {
  const serverEpoch = sessions.epochOf(principal.userId);
  const header = exchange.req.headers['x-sync-epoch'];
  const clientEpoch = atoi(typeof header === 'string' ? header : undefined) ?? 0;
  if (clientEpoch >= serverEpoch) return true;
  const requested = exchange.req.headers['x-correlation-id'];
  const correlationId = typeof requested === 'string' ? requested : '';
  // Go answers with a map (keys sorted) and echoes the request's correlation header, even empty.
  exchange.res.setHeader('X-Correlation-ID', correlationId);
  sendJson(
    exchange,
    409,
    { correlation_id: correlationId, epoch: serverEpoch, error: 'epoch_mismatch' },
    { 'X-Sync-Epoch': String(serverEpoch) },
  );
  return false;
}

/** The wipe body's `confirm` ('' when absent), or undefined when the body does not decode. */
function confirmation(body: string): string | undefined {
  const decoded = decodeObject(body);
  if (decoded.kind === 'invalid') return undefined;
  if (decoded.kind === 'null') return '';
  const confirm = goField(decoded.value, 'confirm');
  const mode = goField(decoded.value, 'mode');
  if (mode !== undefined && mode !== null && typeof mode !== 'string') return undefined;
  if (confirm === undefined || confirm === null) return '';
  return typeof confirm === 'string' ? confirm : undefined;
}

export function wipe(
  exchange: Exchange,
  principal: Principal,
  sessions: SessionStore,
  store: ItemStore,
  body: string,
): void {
  const confirm = confirmation(body);
  if (confirm === undefined) return sendError(exchange, 400, 'invalid request body');
  if (confirm !== 'WIPE') {
    return sendError(exchange, 400, 'confirmation required: must send {"confirm":"WIPE"}');
  }
  const epoch = sessions.wipe(principal.userId);
  sendJson(exchange, 200, { epoch, deleted: store.wipe(principal.userId) });
}

export function syncState(exchange: Exchange, principal: Principal, sessions: SessionStore): void {
  const state = sessions.stateOf(principal.userId);
  const body: Record<string, string | number> = { epoch: state?.epoch ?? 1 };
  if (state?.lastWipeAtMs !== undefined) body['lastWipeAt'] = goTime(state.lastWipeAtMs);
  if (state?.lastWipeBy !== undefined) body['lastWipeBy'] = state.lastWipeBy;
  sendJson(exchange, 200, body);
}

export function syncInfo(exchange: Exchange, nowMs: number, rateLimit: RateLimitConfig): void {
  const entities = Object.fromEntries(
    ENTITIES.map((entity) => entity.path)
      .sort()
      .map((path) => [path, { maxLimit: 1000, push: true, pull: true }]),
  );
  sendJson(exchange, 200, {
    apiVersion: '1.1',
    serverTime: goTime(nowMs),
    entities,
    locking: { supported: true, mode: 'session' },
    minClientVersion: '0.1.0',
    rateLimit,
    hints: { recommendedBatch: 500, backoffMsOn429: 1500 },
  });
}
