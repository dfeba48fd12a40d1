import { randomUUID } from 'node:crypto';

/** Sync sessions and per-user epochs (CONTRACT.md B.4), in process memory as in Go. */

export const SESSION_TTL_MS = 30 * 60 * 1000;

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly epoch: number;
}

interface OwnerState {
  epoch: number;
  lastWipeAtMs?: number;
  lastWipeBy?: string;
}

export function createSessionStore(now: () => number, ttlMs = SESSION_TTL_MS) {
  const sessions = new Map<string, Session>();
  const owners = new Map<string, OwnerState>();

  const ownerState = (userId: string): OwnerState => {
    let state = owners.get(userId);
    if (state === undefined) {
      state = { epoch: 1 };
      owners.set(userId, state);
    }
    return state;
  };

  return {
    /** Creates the owner's epoch row lazily, then a session; expired sessions are swept. */
    create(userId: string): Session {
      const createdAtMs = now();
      const session = {
        id: randomUUID(),
        userId,
        createdAtMs,
        expiresAtMs: createdAtMs + ttlMs,
        epoch: ownerState(userId).epoch,
      };
      sessions.set(session.id, session);
      for (const [id, other] of sessions) if (createdAtMs > other.expiresAtMs) sessions.delete(id);
      return session;
    },

    /** A live session, or undefined when unknown or expired. */
    get(id: string): Session | undefined {
      const session = sessions.get(id);
      return session !== undefined && now() <= session.expiresAtMs ? session : undefined;
    },

    delete(id: string): void {
      sessions.delete(id);
    },

    epochOf(userId: string): number {
      return ownerState(userId).epoch;
    },

    /** The stored state without creating it: GET /v1/sync/state answers {epoch:1} for none. */
    stateOf(userId: string): Readonly<OwnerState> | undefined {
      return owners.get(userId);
    },

    /** Wipe: bumps the epoch (a first wipe sets 2) and ends every session of the user. */
    wipe(userId: string): number {
      const state = ownerState(userId);
      state.epoch += 1;
      state.lastWipeAtMs = now();
      state.lastWipeBy = userId;
      for (const [id, session] of sessions) if (session.userId === userId) sessions.delete(id);
      return state.epoch;
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
