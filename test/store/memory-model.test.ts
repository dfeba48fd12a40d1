import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemorySessionStore } from '../../src/store/memory-store.ts';

/**
 * The memory store against a plain model: an array kept in order of last use. Random runs of
 * creates, touches (own, foreign and unknown ids), clock steps, sweeps and deletes must end the
 * same sessions, for the same reasons, in the same order, and answer every touch alike. Only the
 * memory store runs it: it needs a clock that steps exactly onto the idle limit.
 */
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

interface Modelled {
  id: string;
  owner: string;
  lastUsed: number;
}

describe('memory session store, against a model', () => {
  it('ends sessions and answers exactly as a least-recently-used list would', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { maxLength: 120 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        async (commands, max, maxPerOwner) => {
          const idleMs = 1000;
          let clock = 1_000_000;
          const store = createMemorySessionStore({ idleMs, max, maxPerOwner, now: () => clock });
          const ended: [string, string][] = [];
          // Deletions are announced too; the model tracks the store's own decisions.
          store.onGone(({ id, reason }) => {
            if (reason !== 'deleted') ended.push([id, reason]);
          });
          let model: Modelled[] = [];
          const modelEnded: [string, string][] = [];
          const stale = (s: Modelled) => s.lastUsed <= clock - idleMs;
          const expire = () => {
            for (const s of model.filter(stale)) modelEnded.push([s.id, 'expired']);
            model = model.filter((s) => !stale(s));
          };
          let next = 0;
          for (const c of commands) {
            if (c.op === 'add') {
              const id = `s${next}`;
              next += 1;
              await store.create({
                id,
                owner: c.owner,
                kind: 'sse',
                createdAt: clock,
                lastUsedAt: 0,
              });
              // A create sweeps first, then the owner's own least recently used go, then
              // everyone's beyond the global cap.
              expire();
              let mine = model.filter((s) => s.owner === c.owner);
              while (mine.length >= maxPerOwner) {
                const oldest = mine[0]!;
                modelEnded.push([oldest.id, 'evicted']);
                model = model.filter((s) => s !== oldest);
                mine = mine.slice(1);
              }
              model.push({ id, owner: c.owner, lastUsed: clock });
              while (model.length > max) modelEnded.push([model.shift()!.id, 'evicted']);
            } else if (c.op === 'use') {
              const id = `s${c.pick}`;
              const at = model.findIndex((s) => s.id === id);
              const found = at === -1 ? undefined : model[at]!;
              let expected: string | undefined;
              if (found !== undefined && found.owner === c.owner) {
                model.splice(at, 1);
                if (stale(found)) modelEnded.push([id, 'expired']);
                else {
                  model.push({ ...found, lastUsed: clock });
                  expected = id;
                }
              }
              expect((await store.touch(id, c.owner))?.id).toBe(expected);
            } else if (c.op === 'advance') {
              clock += c.ms;
            } else if (c.op === 'sweep') {
              await store.sweep();
              expire();
            } else {
              await store.delete(`s${c.pick}`);
              model = model.filter((s) => s.id !== `s${c.pick}`);
            }
            expect(ended).toEqual(modelEnded);
            expect(await store.count()).toBe(model.filter((s) => !stale(s)).length);
          }
          await store.close();
        },
      ),
      { numRuns: 300 },
    );
  });
});
