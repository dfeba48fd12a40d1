import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLru } from '../src/lru.ts';

describe('LRU', () => {
  it('evicts the least recently used entry', () => {
    const lru = createLru<number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.size]).toEqual([1, undefined, 3, 2]);
    lru.set('c', 4);
    lru.delete('a');
    expect([lru.get('c'), lru.size]).toEqual([4, 1]);
  });

  it('keeps the order when the newest entry is read again', () => {
    const lru = createLru<number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect([lru.get('b'), lru.get('b')]).toEqual([2, 2]);
    lru.set('c', 3); // evicts a, the least recently used
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([undefined, 2, 3]);
  });

  it('peeks without reordering, touches and re-sets with', () => {
    const lru = createLru<number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.peek('a')).toBe(1);
    expect(lru.oldest()).toBe(1);
    lru.touch('a');
    expect(lru.oldest()).toBe(2);
    lru.set('b', 20);
    expect([lru.oldest(), lru.peek('b'), lru.size]).toEqual([3, 20, 3]);
    lru.touch('missing');
    lru.delete('missing');
    expect([...lru.values()].sort((x, y) => x - y)).toEqual([1, 3, 20]);
  });

  it('tells what it drops for room, and not what is deleted', () => {
    const dropped: [number, string][] = [];
    const lru = createLru<number>(1, (value, key) => dropped.push([value, key]));
    lru.set('a', 1);
    lru.set('b', 2);
    lru.delete('b');
    expect(dropped).toEqual([[1, 'a']]);
    expect([lru.size, lru.oldest()]).toEqual([0, undefined]);
  });

  it('needs room for one entry', () => {
    expect(() => createLru(0)).toThrow(RangeError);
  });

  it('behaves as an array kept in order of use', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const op = fc.oneof(
      fc.record({ op: fc.constant('get' as const), key }),
      fc.record({ op: fc.constant('peek' as const), key }),
      fc.record({ op: fc.constant('touch' as const), key }),
      fc.record({ op: fc.constant('set' as const), key, value: fc.nat(99) }),
      fc.record({ op: fc.constant('delete' as const), key }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 80 }), (max, ops) => {
        const dropped: string[] = [];
        const lru = createLru<number>(max, (_value, k) => dropped.push(k));
        let model: [string, number][] = [];
        const modelDropped: string[] = [];
        const use = (k: string) => {
          const at = model.findIndex(([mk]) => mk === k);
          if (at === -1) return undefined;
          const [found] = model.splice(at, 1);
          model.push(found!);
          return found![1];
        };
        for (const o of ops) {
          if (o.op === 'get') expect(lru.get(o.key)).toBe(use(o.key));
          else if (o.op === 'peek') {
            expect(lru.peek(o.key)).toBe(model.find(([k]) => k === o.key)?.[1]);
          } else if (o.op === 'touch') {
            lru.touch(o.key);
            use(o.key);
          } else if (o.op === 'set') {
            lru.set(o.key, o.value);
            model = model.filter(([k]) => k !== o.key);
            model.push([o.key, o.value]);
            while (model.length > max) modelDropped.push(model.shift()![0]);
          } else {
            lru.delete(o.key);
            model = model.filter(([k]) => k !== o.key);
          }
          expect(lru.size).toBe(model.length);
          expect(lru.oldest()).toBe(model[0]?.[1]);
          expect([...lru.fromOldest()]).toEqual(model.map(([, value]) => value));
          expect(dropped).toEqual(modelDropped);
        }
      }),
      { numRuns: 500 },
    );
  });
});
