import { reviveSession } from '../../src/mcp/session-routes.ts';
import { createSessionRegistry } from '../../src/mcp/sessions.ts';
import type { NewServer } from '../../src/mcp/server.ts';
import type { SessionStore } from '../../src/store/index.ts';
import { createMemorySessionStore, type MemoryStoreOptions } from '../../src/store/memory-store.ts';

/**
 * A session registry over a memory store, as the gateway builds it; or over `shared`, a store
 * another registry uses too, as replicas would share one. `close` ends the live sessions, then
 * the store when it is this registry's own.
 */
export function memorySessions(
  newServer: NewServer,
  options: MemoryStoreOptions = { idleMs: 60_000, max: 10, maxPerOwner: 10 },
  shared?: SessionStore,
) {
  const store = shared ?? createMemorySessionStore(options);
  const sessions = createSessionRegistry({
    store,
    revive: (record) => reviveSession(newServer, record),
  });
  const close = async () => {
    await sessions.closeAll();
    if (shared === undefined) await store.close();
  };
  return { store, sessions, close };
}
