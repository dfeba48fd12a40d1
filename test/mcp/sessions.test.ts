import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/mcp/session-store.ts';

/** A memory store on a frozen clock, recording every record it ends by itself. */
function registry(options: { idleMs?: number; max?: number; maxPerOwner?: number } = {}) {
  let clock = 1_000_000;
  const closed: string[] = [];
  const evicted: [string, string][] = [];
  const store = createMemoryStore({
    idleMs: options.idleMs ?? 60_000,
    max: options.max ?? 100,
    maxPerOwner: options.maxPerOwner,
    now: () => clock,
  });
  store.watch((record, reason) => {
    closed.push(record.id);
    evicted.push([record.id, reason]);
  });
  const sessions = {
    use: async (id: string, owner: string) => store.use(id, owner),
    streaming: (id: string) => store.hold(id),
    sweep: () => {
      store.sweep();
    },
    forget: (id: string) => store.delete(id),
    count: () => store.size,
    closeAll: () => store.close(),
  };
  return {
    sessions,
    closed,
    evicted,
    advance: (ms: number) => {
      clock += ms;
    },
    add: (id: string, owner = 'alice') =>
      store.create({ id, owner, kind: 'sse', createdAt: clock, lastUsedAt: clock }),
  };
}

describe('memory session store', () => {
  it('finds a session only for the principal that opened it', async () => {
    const { sessions, add } = registry();
    await add('s1', 'alice');
    expect((await sessions.use('s1', 'alice'))?.id).toBe('s1');
    expect(await sessions.use('s1', 'mallory')).toBeUndefined();
    expect(await sessions.use('nope', 'alice')).toBeUndefined();
    await sessions.closeAll();
  });

  it('closes sessions idle for longer than the idle time, and keeps used ones', async () => {
    const { sessions, closed, evicted, add, advance } = registry({ idleMs: 1000 });
    await add('idle');
    await add('busy');
    advance(600);
    await sessions.use('busy', 'alice');
    advance(600);
    sessions.sweep();
    await Promise.resolve();
    expect(closed).toEqual(['idle']);
    expect(evicted).toEqual([['idle', 'idle']]);
    expect((await sessions.use('busy', 'alice'))?.id).toBe('busy');
    await sessions.closeAll();
  });

  it('refuses a session that went idle even before the sweep ran', async () => {
    const { sessions, closed, add, advance } = registry({ idleMs: 1000 });
    await add('s1');
    advance(1001);
    expect(await sessions.use('s1', 'alice')).toBeUndefined();
    await Promise.resolve();
    expect(closed).toEqual(['s1']);
    await sessions.closeAll();
  });

  it('keeps a session with an open stream however long it is quiet, until the stream ends', async () => {
    const { sessions, closed, add, advance } = registry({ idleMs: 1000 });
    await add('listening');
    await add('quiet');
    const release = sessions.streaming('listening');
    advance(5000);
    sessions.sweep();
    await Promise.resolve();
    expect(closed).toEqual(['quiet']);
    expect((await sessions.use('listening', 'alice'))?.id).toBe('listening');
    advance(5000);
    expect((await sessions.use('listening', 'alice'))?.id).toBe('listening');
    // Once the stream has ended, the idle time counts from its end.
    release();
    release(); // a second call changes nothing
    advance(999);
    sessions.sweep();
    expect(sessions.count()).toBe(1);
    advance(2);
    sessions.sweep();
    await Promise.resolve();
    expect(closed).toEqual(['quiet', 'listening']);
    await sessions.closeAll();
  });

  it('a stream that outlives the sweep does not shield idle sessions behind it', async () => {
    const { sessions, closed, add, advance } = registry({ idleMs: 1000 });
    await add('listening');
    await add('idle-1');
    await add('idle-2');
    sessions.streaming('listening');
    advance(1500);
    sessions.sweep();
    await Promise.resolve();
    expect(closed).toEqual(['idle-1', 'idle-2']);
    await sessions.closeAll();
  });

  it('beyond the cap closes the least recently used session', async () => {
    const { sessions, evicted, add, advance } = registry({ max: 2 });
    await add('a');
    advance(1);
    await add('b');
    advance(1);
    await sessions.use('a', 'alice');
    await add('c');
    expect(evicted).toEqual([['b', 'capacity']]);
    expect(sessions.count()).toBe(2);
    await sessions.closeAll();
  });

  it('keeps idle time and capacity order exact under constant use', async () => {
    const { sessions, closed, evicted, add, advance } = registry({ idleMs: 10_000, max: 3 });
    await add('a');
    await add('b');
    await add('c');
    // Many uses, a more often than c: a stays the most recently used, b the least.
    for (let i = 0; i < 30; i += 1) {
      advance(250);
      await sessions.use('a', 'alice');
      if (i % 3 === 0) await sessions.use('c', 'alice');
    }
    await add('d');
    expect(evicted).toEqual([['b', 'capacity']]);
    // c was last used 500 ms before a and d: a cutoff between them closes c alone.
    advance(9_600);
    sessions.sweep();
    await Promise.resolve();
    expect(closed).toEqual(['b', 'c']);
    expect((await sessions.use('a', 'alice'))?.id).toBe('a');
    expect((await sessions.use('d', 'alice'))?.id).toBe('d');
    await sessions.closeAll();
  });

  it("a principal at its own cap loses its least recently used session, not someone else's", async () => {
    const { sessions, evicted, add, advance } = registry({ max: 10, maxPerOwner: 2 });
    await add('bob-1', 'bob');
    await add('a1');
    advance(1);
    await add('a2');
    advance(1);
    await sessions.use('a1', 'alice');
    await add('a3');
    expect(evicted).toEqual([['a2', 'capacity']]);
    await add('a4');
    expect(evicted).toEqual([
      ['a2', 'capacity'],
      ['a1', 'capacity'],
    ]);
    expect((await sessions.use('bob-1', 'bob'))?.id).toBe('bob-1');
    // Sessions that end free their place: two more fit without evicting.
    await sessions.forget('a3');
    await sessions.forget('a4');
    await add('a5');
    await add('a6');
    expect(evicted).toHaveLength(2);
    expect(sessions.count()).toBe(3);
    await sessions.closeAll();
  });

  it('forgets deleted records without reporting them as ended', async () => {
    const { sessions, closed, add } = registry();
    await add('a');
    await add('b');
    await sessions.forget('b');
    expect(await sessions.use('b', 'alice')).toBeUndefined();
    expect(sessions.count()).toBe(1);
    await sessions.closeAll();
    expect(closed).toEqual([]);
  });
});

/**
 * The registry against a plain model: an array kept in order of last use. Random runs of adds,
 * uses (own, foreign and unknown ids), clock steps, sweeps and forgets must evict the same
 * sessions, for the same reasons, in the same order, and answer every use alike.
 */
describe('memory session store, against a model', () => {
  type Command =
    | { op: 'add'; owner: string }
    | { op: 'use'; pick: number; owner: string }
    | { op: 'advance'; ms: number }
    | { op: 'sweep' }
    | { op: 'forget'; pick: number };
  const owner = fc.constantFrom('alice', 'bob');
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ op: fc.constant('add' as const), owner }),
    fc.record({ op: fc.constant('use' as const), pick: fc.nat(12), owner }),
    // Steps that land exactly on the idle limit as well as either side of it.
    fc.record({
      op: fc.constant('advance' as const),
      ms: fc.constantFrom(0, 1, 250, 500, 999, 1000),
    }),
    fc.record({ op: fc.constant('sweep' as const) }),
    fc.record({ op: fc.constant('forget' as const), pick: fc.nat(12) }),
  );

  it('evicts and answers exactly as a least-recently-used list would', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { maxLength: 120 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        async (commands, max, maxPerOwner) => {
          const idleMs = 1000;
          const { sessions, evicted, add, advance } = registry({ idleMs, max, maxPerOwner });
          let clock = 1_000_000;
          let model: { id: string; owner: string; lastUsed: number }[] = [];
          const modelEvicted: [string, string][] = [];
          let next = 0;
          for (const c of commands) {
            if (c.op === 'add') {
              const id = `s${next}`;
              next += 1;
              await add(id, c.owner);
              // The owner's own least recently used first, then everyone's beyond the cap.
              let mine = model.filter((s) => s.owner === c.owner);
              while (mine.length >= maxPerOwner) {
                const oldest = mine[0]!;
                modelEvicted.push([oldest.id, 'capacity']);
                model = model.filter((s) => s !== oldest);
                mine = mine.slice(1);
              }
              model.push({ id, owner: c.owner, lastUsed: clock });
              while (model.length > max) modelEvicted.push([model.shift()!.id, 'capacity']);
            } else if (c.op === 'use') {
              const id = `s${c.pick}`;
              const at = model.findIndex((s) => s.id === id);
              const found = at === -1 ? undefined : model[at]!;
              let expected: string | undefined;
              if (found !== undefined && found.owner === c.owner) {
                model.splice(at, 1);
                if (found.lastUsed <= clock - idleMs) modelEvicted.push([id, 'idle']);
                else {
                  model.push({ ...found, lastUsed: clock });
                  expected = id;
                }
              }
              expect((await sessions.use(id, c.owner))?.id).toBe(expected);
            } else if (c.op === 'advance') {
              advance(c.ms);
              clock += c.ms;
            } else if (c.op === 'sweep') {
              sessions.sweep();
              const stale = model.filter((s) => s.lastUsed <= clock - idleMs);
              for (const s of stale) modelEvicted.push([s.id, 'idle']);
              model = model.filter((s) => s.lastUsed > clock - idleMs);
            } else {
              await sessions.forget(`s${c.pick}`);
              model = model.filter((s) => s.id !== `s${c.pick}`);
            }
            expect(evicted).toEqual(modelEvicted);
            expect(sessions.count()).toBe(model.length);
          }
          await sessions.closeAll();
        },
      ),
      { numRuns: 300 },
    );
  });
});
