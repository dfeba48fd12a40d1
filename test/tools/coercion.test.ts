import { describe, expect, it } from 'vitest';
import {
  CONTEXT,
  UID,
  bodyOf,
  onlyRequest,
  runtimeAnswering,
  runtimeWithoutUpstream,
  textOf,
} from './helpers.ts';

/** pydantic v2 lax mode, as FastMCP validated tool arguments (CONTRACT.md A.2). */

describe('accepted and coerced', () => {
  it.each([
    [50, '50'],
    ['50', '50'],
    [' 50\n', '50'],
    ['\u00a050\u3000', '50'], // Unicode White_Space, as Rust's trim
    ['+7', '7'],
    ['007', '7'],
    ['1_000', '1000'],
    ['5.0', '5'],
    ['5.000', '5'],
    [5.0, '5'],
    [true, '1'],
    [1000, '1000'],
    [1, '1'],
  ])('limit %j is sent as %s', async (limit, sent) => {
    const { runtime, calls } = runtimeAnswering(() => ({ items: [] }));
    const result = await runtime.call('list_notes', { limit }, CONTEXT);
    expect(result.isError).toBe(false);
    expect(onlyRequest(calls).query).toEqual([['limit', sent]]);
  });

  it.each([
    ['3', 3],
    ['0', 0],
    ['-0', 0],
    [3.0, 3],
    ['-1', -1],
    [false, 0],
  ])('if_match %j is sent as %j', async (ifMatch, sent) => {
    const { runtime, calls } = runtimeAnswering();
    await runtime.call(
      'update_note',
      { uid: UID, title: 't', content: 'c', if_match: ifMatch },
      CONTEXT,
    );
    expect(Object.is(onlyRequest(calls).ifMatch, sent)).toBe(true);
  });

  it.each([true, 1, 'true', 'True', 'TRUE', 'yes', 'Y', 'y', 'on', 't', '1'])(
    'include_deleted %j is true',
    async (value) => {
      const { runtime, calls } = runtimeAnswering(() => ({ items: [] }));
      await runtime.call('list_notes', { include_deleted: value }, CONTEXT);
      expect(onlyRequest(calls).query).toContainEqual(['includeDeleted', 'true']);
    },
  );

  it.each([false, 0, 'false', 'FALSE', 'no', 'N', 'off', 'f', '0'])(
    'include_deleted %j is false',
    async (value) => {
      const { runtime, calls } = runtimeAnswering(() => ({ items: [] }));
      await runtime.call('list_notes', { include_deleted: value }, CONTEXT);
      expect(onlyRequest(calls).query).toEqual([['limit', '100']]);
    },
  );

  it.each([
    ['yes', true],
    [0, false],
    ['off', false],
  ])('create_chat archived %j is sent as %j', async (archived, sent) => {
    const { runtime, calls } = runtimeAnswering();
    await runtime.call('create_chat', { title: 't', archived }, CONTEXT);
    expect(bodyOf(onlyRequest(calls))['archived']).toBe(sent);
  });

  it.each([undefined, null, {}])('arguments %j mean "all defaults"', async (args) => {
    const { runtime, calls } = runtimeAnswering(() => ({ items: [] }));
    const result = await runtime.call('list_chat_messages', args, CONTEXT);
    expect(result.isError).toBe(false);
    expect(onlyRequest(calls).query).toEqual([['limit', '100']]);
  });

  it('takes null for an optional string, and undefined as absent', async () => {
    const { runtime, calls } = runtimeAnswering(() => ({ items: [] }));
    await runtime.call('list_notes', { cursor: null, limit: undefined }, CONTEXT);
    expect(onlyRequest(calls).query).toEqual([['limit', '100']]);
  });
});

describe('rejected before any upstream call', () => {
  it.each([
    ['list_notes', { limit: 0 }, 'limit: must be at least 1 (got 0)'],
    ['list_notes', { limit: '0' }, 'limit: must be at least 1 (got "0")'],
    ['list_notes', { limit: 1001 }, 'limit: must be at most 1000 (got 1001)'],
    ['list_notes', { limit: false }, 'limit: must be at least 1 (got false)'],
    ['list_notes', { limit: 2.5 }, 'limit: must be an integer, not a fractional number (got 2.5)'],
    ['list_notes', { limit: '2.5' }, 'limit: must be an integer (got "2.5")'],
    ['list_notes', { limit: 'abc' }, 'limit: must be an integer (got "abc")'],
    ['list_notes', { limit: '' }, 'limit: must be an integer (got "")'],
    ['list_notes', { limit: '1e2' }, 'limit: must be an integer (got "1e2")'],
    ['list_notes', { limit: '1__0' }, 'limit: must be an integer (got "1__0")'],
    ['list_notes', { limit: '_10' }, 'limit: must be an integer (got "_10")'],
    ['list_notes', { limit: '10.' }, 'limit: must be an integer (got "10.")'],
    ['list_notes', { limit: '+-1' }, 'limit: must be an integer (got "+-1")'],
    ['list_notes', { limit: '0x10' }, 'limit: must be an integer (got "0x10")'],
    ['list_notes', { limit: '\ufeff5' }, 'limit: must be an integer (got "\ufeff5")'],
    ['list_notes', { limit: null }, 'limit: must be an integer (got null)'],
    ['list_notes', { limit: [5] }, 'limit: must be an integer (got an array)'],
    ['list_notes', { limit: Infinity }, 'limit: must be a finite number (got Infinity)'],
    ['list_notes', { cursor: 5 }, 'cursor: must be a string (got 5)'],
    ['list_notes', { include_deleted: 'maybe' }, 'include_deleted: must be a boolean'],
    ['list_notes', { include_deleted: 2 }, 'include_deleted: must be a boolean'],
    ['list_notes', { include_deleted: ' true' }, 'include_deleted: must be a boolean'],
    ['list_notes', { include_deleted: '' }, 'include_deleted: must be a boolean'],
    ['list_notes', { include_deleted: null }, 'include_deleted: must be a boolean'],
    [
      'update_note',
      { uid: UID, title: 't', content: 'c', if_match: 2 ** 53 },
      'if_match: must be between -9007199254740991 and 9007199254740991 (got 9007199254740992)',
    ],
    [
      'update_note',
      { uid: UID, title: 't', content: 'c', if_match: 'v3' },
      'if_match: must be an integer (got "v3")',
    ],
    ['create_note', { title: 5, content: 'c' }, 'title: must be a string (got 5)'],
    ['create_note', { title: true, content: 'c' }, 'title: must be a string (got true)'],
    ['create_note', { title: null, content: 'c' }, 'title: must be a string (got null)'],
    ['create_note', { title: { t: 1 }, content: 'c' }, 'title: must be a string (got an object)'],
    [
      'create_task',
      { title: 't', due_date: 20251120 },
      'due_date: must be a string (got 20251120)',
    ],
    [
      'create_note',
      { title: 't', content: 'c', tags: ['a', 1] },
      'tags: must be an array of strings; item 1 is 1 (got an array)',
    ],
    [
      'create_note',
      { title: 't', content: 'c', tags: 5 },
      'tags: must be an array of strings or a JSON-encoded array (got 5)',
    ],
    [
      'create_note',
      { title: 't', content: 'c', additional_fields: ['a'] },
      'additional_fields: must be an object or a JSON-encoded object (got an array)',
    ],
    [
      'process_note',
      { uid: UID, action: 'pin', metadata: 7 },
      'metadata: must be an object or a JSON-encoded object (got 7)',
    ],
    [
      'patch_note',
      { uid: UID, updates: null },
      'updates: must be an object or a JSON-encoded object (got null)',
    ],
    ['patch_note', { uid: UID }, 'updates: is required'],
    ['create_note', {}, 'title: is required; content: is required'],
    ['get_note', { uid: '' }, 'uid: must not be empty, "." or ".." (got "")'],
    ['get_note', { uid: '.' }, 'uid: must not be empty, "." or ".." (got ".")'],
    ['delete_note', { uid: '..' }, 'uid: must not be empty, "." or ".." (got "..")'],
    [
      'create_note',
      { title: 't', content: 'c', colour: 'red' },
      'colour: unexpected argument (accepted: title, content, tags, additional_fields)',
    ],
    [
      'health_check',
      { verbose: true },
      'verbose: unexpected argument (this tool takes no arguments)',
    ],
    ['list_notes', 'limit=5', 'arguments must be an object (got "limit=5")'],
    ['list_notes', [1], 'arguments must be an object (got an array)'],
    ['list_notes', 5, 'arguments must be an object (got 5)'],
  ])('%s %j', async (tool, args, reason) => {
    const runtime = runtimeWithoutUpstream();
    const result = await runtime.call(tool, args, CONTEXT);
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(textOf(result)).toContain(`Invalid arguments for ${tool}: ${reason}`);
  });

  it('reports every bad argument, in parameter order, then unknown names', async () => {
    const runtime = runtimeWithoutUpstream();
    const result = await runtime.call(
      'update_task',
      { extra: 1, uid: 7, if_match: 'x', title: 't' },
      CONTEXT,
    );
    expect(textOf(result)).toBe(
      'Invalid arguments for update_task: uid: must be a string (got 7); ' +
        'if_match: must be an integer (got "x"); ' +
        'extra: unexpected argument (accepted: uid, title, description, status, if_match, additional_fields)',
    );
  });

  it('shortens long values it quotes back', async () => {
    const runtime = runtimeWithoutUpstream();
    const result = await runtime.call('list_notes', { limit: 'x'.repeat(500) }, CONTEXT);
    expect(textOf(result)).toBe(
      `Invalid arguments for list_notes: limit: must be an integer (got "${'x'.repeat(40)}…")`,
    );
  });
});
