import { reviveSession } from '../../src/mcp/session-routes.ts';
import {
  createMemoryStore,
  type MemoryStoreOptions,
  type SessionStore,
} from '../../src/mcp/session-store.ts';
import { createSessionRegistry } from '../../src/mcp/sessions.ts';
import type { NewServer } from '../../src/mcp/server.ts';

/**
 * A session registry over a memory store, as the gateway builds it; or over `shared`, a store
 * another registry uses too, as replicas would share one.
 */
export function memorySessions(
  newServer: NewServer,
  options: MemoryStoreOptions = { idleMs: 60_000, max: 10 },
  shared?: SessionStore,
) {
  const store = shared ?? createMemoryStore(options);
  const sessions = createSessionRegistry({
    store,
    revive: (record) => reviveSession(newServer, record),
  });
  return { store, sessions };
}
