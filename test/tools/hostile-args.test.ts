/**
 * Arguments no JSON client should send but any caller can: lone UTF-16 surrogates and values
 * nested thousands deep. Each is an argument error naming the field, before any upstream call;
 * none is an "internal error".
 */
import { describe, expect, it } from 'vitest';
import { CONTEXT, runtimeAnswering, textOf, UID } from './helpers.ts';

/** `{"a":{"a":…1…}}`, `depth` objects deep. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

const LONE = 'ab\ud800cd';
const TOO_DEEP = 'objects and arrays may nest at most 64 levels deep';

describe('hostile arguments', () => {
  it.each<[string, string, Record<string, unknown>, string]>([
    ['a uid', 'get_note', { uid: LONE }, 'uid: must be valid Unicode text'],
    ['a uid (low half)', 'delete_task', { uid: 'x\udc00' }, 'uid: must be valid Unicode text'],
    ['a title', 'create_note', { title: LONE, content: 'c' }, 'title: must be valid Unicode'],
    [
      'a tags item',
      'create_note',
      { title: 't', content: 'c', tags: ['ok', LONE] },
      'tags: item 1 must be valid Unicode',
    ],
    [
      'a tags string',
      'create_note',
      { title: 't', content: 'c', tags: LONE },
      'tags: must be valid Unicode',
    ],
  ])('a lone surrogate in %s is an argument error', async (_name, tool, args, expected) => {
    const { runtime, calls } = runtimeAnswering();
    const result = await runtime.call(tool, args, CONTEXT);
    expect(result.isError).toBe(true);
    expect(result.failure).toEqual({ code: 'INVALID_ARGUMENTS' });
    expect(textOf(result)).toContain(expected);
    expect(calls).toEqual([]);
  });

  const deepCases: [string, string, (value: unknown) => Record<string, unknown>][] = [
    [
      'additional_fields',
      'create_note',
      (v) => ({ title: 't', content: 'c', additional_fields: v }),
    ],
    ['additional_fields', 'update_task', (v) => ({ uid: UID, title: 't', additional_fields: v })],
    ['updates', 'patch_chat', (v) => ({ uid: UID, updates: v })],
    ['metadata', 'process_note', (v) => ({ uid: UID, action: 'pin', metadata: v })],
  ];

  it.each(deepCases)('%s of %s: 64 levels are sent', async (_field, tool, args) => {
    const { runtime, calls } = runtimeAnswering();
    const result = await runtime.call(tool, args(nested(64)), CONTEXT);
    expect(result.isError).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it.each(deepCases)(
    '%s of %s: 65, 2,000 or 5,000 levels, as an object or JSON text, are refused',
    async (field, tool, args) => {
      const { runtime, calls } = runtimeAnswering();
      for (const depth of [65, 2_000, 5_000]) {
        // The text is built, not stringified: JSON.stringify itself overflows at these depths.
        const text = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
        for (const value of [nested(depth), text]) {
          const result = await runtime.call(tool, args(value), CONTEXT);
          expect(result.failure).toEqual({ code: 'INVALID_ARGUMENTS' });
          expect(textOf(result)).toContain(field);
          expect(textOf(result)).toContain(TOO_DEEP);
        }
      }
      expect(calls).toEqual([]);
    },
  );

  it('a deep array inside an object counts its levels too', async () => {
    let value: unknown = 1;
    for (let i = 0; i < 100; i += 1) value = [value];
    const { runtime, calls } = runtimeAnswering();
    const result = await runtime.call(
      'create_note',
      { title: 't', content: 'c', additional_fields: { list: value } },
      CONTEXT,
    );
    expect(textOf(result)).toContain(`additional_fields: ${TOO_DEEP}`);
    expect(calls).toEqual([]);
  });
});
