/**
 * The sync-session cache on its own: single-flight creation that is abandoned only when every
 * waiter has given up, and what a call arriving right after that abandonment gets.
 */
import { describe, expect, it } from 'vitest';
import { createSessionCache, type SyncSession } from '../../src/proxy/session-cache.ts';

const cache = () => createSessionCache({ now: () => 0, refreshMarginMs: 0, maxEntries: 10 });
const session = (id: string): SyncSession => ({ id, epoch: 1, expiresAtMs: 60_000 });

/** An open() that settles only when told to, or rejects when its signal aborts (as a POST would). */
function pendingOpen(id: string) {
  let release: () => void = () => undefined;
  let calls = 0;
  const open = (signal: AbortSignal) => {
    calls += 1;
    return new Promise<SyncSession>((resolve, reject) => {
      release = () => {
        resolve(session(id));
      };
      signal.addEventListener('abort', () => {
        reject(new DOMException('aborted', 'AbortError'));
      });
    });
  };
  return {
    open,
    release: () => {
      release();
    },
    calls: () => calls,
  };
}

describe('session cache', () => {
  it('a call right after every waiter gave up opens a session of its own', async () => {
    const sessions = cache();
    const first = pendingOpen('abandoned');
    const second = pendingOpen('fresh');
    const gaveUp = new AbortController();

    const abandoned = sessions.acquire('k', first.open, gaveUp.signal);
    gaveUp.abort();
    // Same tick: the aborted creation has not settled yet.
    const next = sessions.acquire('k', second.open, new AbortController().signal);
    second.release();

    await expect(abandoned).rejects.toThrow('stopped waiting');
    await expect(next).resolves.toEqual(session('fresh'));
    expect([first.calls(), second.calls()]).toEqual([1, 1]);
    // And the fresh session is the cached one: the abandoned creation did not remove it.
    const again = await sessions.acquire('k', first.open, new AbortController().signal);
    expect(again.id).toBe('fresh');
  });

  it('while one waiter remains, the creation goes on and is shared', async () => {
    const sessions = cache();
    const only = pendingOpen('shared');
    const leaving = new AbortController();

    const a = sessions.acquire('k', only.open, leaving.signal);
    const b = sessions.acquire('k', only.open, new AbortController().signal);
    leaving.abort();
    const c = sessions.acquire('k', only.open, new AbortController().signal);
    only.release();

    await expect(a).rejects.toThrow('stopped waiting');
    await expect(b).resolves.toEqual(session('shared'));
    await expect(c).resolves.toEqual(session('shared'));
    expect(only.calls()).toBe(1);
  });
});
