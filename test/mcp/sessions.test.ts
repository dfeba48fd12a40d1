import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSessionRegistry, type SessionEntry } from '../../src/mcp/sessions.ts';
import type { SseTransport } from '../../src/mcp/sse.ts';

/** A stand-in transport that records being closed; the registry only ever calls close(). */
function entry(id: string, owner: string, closed: string[]): SessionEntry {
  const transport: SseTransport = {
    start: () => Promise.resolve(),
    send: () => Promise.resolve(),
    close: () => {
      closed.push(id);
      return Promise.resolve();
    },
    deliver: () => undefined,
  };
  return { id, owner, kind: 'sse', transport };
}

function registry(options: { idleMs?: number; max?: number; maxPerOwner?: number } = {}) {
  let clock = 1_000_000;
  const closed: string[] = [];
  const evicted: [string, string][] = [];
  const sessions = createSessionRegistry({
    idleMs: options.idleMs ?? 60_000,
    max: options.max ?? 100,
    ...(options.maxPerOwner === undefined ? {} : { maxPerOwner: options.maxPerOwner }),
    now: () => clock,
    onEvict: (e, reason) => evicted.push([e.id, reason]),
  });
  return {
    sessions,
    closed,
    evicted,
    advance: (ms: number) => {
      clock += ms;
    },
    add: (id: string, owner = 'alice') => {
      sessions.add(entry(id, owner, closed));
    },
  };
}

describe('session registry', () => {
  it('finds a session only for the principal that opened it', async () => {
    const { sessions, add } = registry();
    add('s1', 'alice');
    expect(sessions.use('s1', 'alice')?.id).toBe('s1');
    expect(sessions.use('s1', 'mallory')).toBeUndefined();
    expect(sessions.use('nope', 'alice')).toBeUndefined();
    await sessions.closeAll();
  });

  it('closes sessions idle for longer than the idle time, and keeps used ones', async () => {
    const { sessions, closed, evicted, add, advance } = registry({ idleMs: 1000 });
    add('idle');
    add('busy');
    advance(600);
    sessions.use('busy', 'alice');
    advance(600);
    sessions.sweep();
    await Promise.resolve();
    expect(closed).toEqual(['idle']);
    expect(evicted).toEqual([['idle', 'idle']]);
    expect(sessions.use('busy', 'alice')?.id).toBe('busy');
    await sessions.closeAll();
  });

  it('refuses a session that went idle even before the sweep ran', async () => {
    const { sessions, closed, add, advance } = registry({ idleMs: 1000 });
    add('s1');
    advance(1001);
    expect(sessions.use('s1', 'alice')).toBeUndefined();
    await Promise.resolve();
    expect(closed).toEqual(['s1']);
    await sessions.closeAll();
  });

  it('keeps a session with an open stream however long it is quiet, until the stream ends', async () => {
    const { sessions, closed, add, advance } = registry({ idleMs: 1000 });
    add('listening');
    add('quiet');
    const release = sessions.streaming('listening');
    advance(5000);
    sessions.sweep();
    await Promise.resolve();
    expect(closed).toEqual(['quiet']);
    expect(sessions.use('listening', 'alice')?.id).toBe('listening');
    advance(5000);
    expect(sessions.use('listening', 'alice')?.id).toBe('listening');
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
    add('listening');
    add('idle-1');
    add('idle-2');
    sessions.streaming('listening');
    advance(1500);
    sessions.sweep();
    await Promise.resolve();
    expect(closed).toEqual(['idle-1', 'idle-2']);
    await sessions.closeAll();
  });

  it('beyond the cap closes the least recently used session', async () => {
    const { sessions, evicted, add, advance } = registry({ max: 2 });
    add('a');
    advance(1);
    add('b');
    advance(1);
    sessions.use('a', 'alice');
    add('c');
    expect(evicted).toEqual([['b', 'capacity']]);
    expect(sessions.count()).toBe(2);
    expect(sessions.count('sse')).toBe(2);
    await sessions.closeAll();
  });

  it('keeps idle time and capacity order exact under constant use', async () => {
    const { sessions, closed, evicted, add, advance } = registry({ idleMs: 10_000, max: 3 });
    add('a');
    add('b');
    add('c');
    // Many uses, a more often than c: a stays the most recently used, b the least.
    for (let i = 0; i < 30; i += 1) {
      advance(250);
      sessions.use('a', 'alice');
      if (i % 3 === 0) sessions.use('c', 'alice');
    }
    add('d');
    expect(evicted).toEqual([['b', 'capacity']]);
    // c was last used 500 ms before a and d: a cutoff between them closes c alone.
    advance(9_600);
    sessions.sweep();
    await Promise.resolve();
    expect(closed).toEqual(['b', 'c']);
    expect(sessions.use('a', 'alice')?.id).toBe('a');
    expect(sessions.use('d', 'alice')?.id).toBe('d');
    await sessions.closeAll();
  });

  it("a principal at its own cap loses its least recently used session, not someone else's", async () => {
    const { sessions, evicted, add, advance } = registry({ max: 10, maxPerOwner: 2 });
    add('bob-1', 'bob');
    add('a1');
    advance(1);
    add('a2');
    advance(1);
    sessions.use('a1', 'alice');
    add('a3');
    expect(evicted).toEqual([['a2', 'capacity']]);
    add('a4');
    expect(evicted).toEqual([
      ['a2', 'capacity'],
      ['a1', 'capacity'],
    ]);
    expect(sessions.use('bob-1', 'bob')?.id).toBe('bob-1');
    // Sessions that end free their place: two more fit without evicting.
    sessions.forget('a3');
    sessions.forget('a4');
    add('a5');
    add('a6');
    expect(evicted).toHaveLength(2);
    expect(sessions.count()).toBe(3);
    await sessions.closeAll();
  });

  it('closes everything on shutdown, and forgets sessions their transports ended', async () => {
    const { sessions, closed, add } = registry();
    add('a');
    add('b');
    sessions.forget('b');
    await sessions.closeAll();
    expect(closed).toEqual(['a']);
    expect(sessions.count()).toBe(0);
  });
});

/**
 * The registry against a plain model: an array kept in order of last use. Random runs of adds,
 * uses (own, foreign and unknown ids), clock steps, sweeps and forgets must evict the same
 * sessions, for the same reasons, in the same order, and answer every use alike.
 */
describe('session registry, against a model', () => {
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
              add(id, c.owner);
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
              expect(sessions.use(id, c.owner)?.id).toBe(expected);
            } else if (c.op === 'advance') {
              advance(c.ms);
              clock += c.ms;
            } else if (c.op === 'sweep') {
              sessions.sweep();
              const stale = model.filter((s) => s.lastUsed <= clock - idleMs);
              for (const s of stale) modelEvicted.push([s.id, 'idle']);
              model = model.filter((s) => s.lastUsed > clock - idleMs);
            } else {
              sessions.forget(`s${c.pick}`);
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
