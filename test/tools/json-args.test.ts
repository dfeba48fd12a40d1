import { describe, expect, it } from 'vitest';
import {
  CONTEXT,
  UID,
  bodyKeys,
  bodyOf,
  onlyRequest,
  runtimeAnswering,
  runtimeWithoutUpstream,
  textOf,
} from './helpers.ts';

/**
 * JSON-string parameters and the truthiness test on the raw value (CONTRACT.md trap 6, A.4 and
 * the tools.json parameter notes).
 */

const NOTE = { title: 'T', content: 'C' };
const ABSENT = Symbol('absent');

async function sentBody(tool: string, args: Record<string, unknown>) {
  const { runtime, calls } = runtimeAnswering();
  const result = await runtime.call(tool, args, CONTEXT);
  expect(textOf(result)).not.toMatch(/^(Error|Invalid)/);
  return onlyRequest(calls);
}

describe.each([
  ['create_note', 'tags', NOTE],
  ['create_chat', 'participants', { title: 'T' }],
  ['create_chat', 'tags', { title: 'T' }],
  ['create_chat_message', 'tags', { chat_uid: UID, content: 'C' }],
])('%s %s', (tool, param, required) => {
  it.each([
    [[], ABSENT],
    ['', ABSENT],
    [null, ABSENT],
    [
      ['a', 'b'],
      ['a', 'b'],
    ],
    ['[]', []],
    ['["a"]', ['a']],
    ['null', null],
    ['"solo"', 'solo'], // parsed, not re-validated
    ['[1, {"x": 2}]', [1, { x: 2 }]],
  ])('%j is sent as %j', async (raw, sent) => {
    const request = await sentBody(tool, { ...required, [param]: raw });
    if (sent === ABSENT) expect(bodyKeys(request)).not.toContain(param);
    else expect(bodyOf(request)[param]).toEqual(sent);
  });

  it('fails on bad JSON, before any upstream call', async () => {
    const result = await runtimeWithoutUpstream().call(
      tool,
      { ...required, [param]: 'a,b' },
      CONTEXT,
    );
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      new RegExp(`^Error calling tool '${tool}': Invalid JSON string for ${param}: \\S`),
    );
  });
});

describe('additional_fields', () => {
  it('is merged last: overriding keys keep their place, new keys follow', async () => {
    const request = await sentBody('create_note', {
      ...NOTE,
      tags: ['a'],
      additional_fields: '{"uid": "u-2", "title": "override", "pinned": true}',
    });
    expect(bodyKeys(request)).toEqual(['title', 'content', 'tags', 'uid', 'pinned']);
    expect(bodyOf(request)).toEqual({
      title: 'override',
      content: 'C',
      tags: ['a'],
      uid: 'u-2',
      pinned: true,
    });
  });

  it('can override the uid of an update body, which stays first', async () => {
    const request = await sentBody('update_comment', {
      uid: UID,
      content: 'C',
      additional_fields: { uid: 'other', parentType: 'note', parentUid: UID },
    });
    expect(request.path).toBe(`/v1/comments/${UID}`);
    expect(bodyKeys(request)).toEqual(['uid', 'content', 'parentType', 'parentUid']);
    expect(bodyOf(request)['uid']).toBe('other');
  });

  it.each([{}, '', '{}', '[]'])('%j adds nothing', async (raw) => {
    const request = await sentBody('create_note', { ...NOTE, additional_fields: raw });
    expect(request.body).toEqual({ title: 'T', content: 'C' });
  });

  it('keeps a "__proto__" key as data', async () => {
    const request = await sentBody('create_note', {
      ...NOTE,
      additional_fields: '{"__proto__": {"polluted": true}}',
    });
    expect(bodyKeys(request)).toEqual(['title', 'content', '__proto__']);
    expect(JSON.stringify(request.body)).toBe(
      '{"title":"T","content":"C","__proto__":{"polluted":true}}',
    );
  });

  it.each([
    ['null', 'null'],
    ['[["a", 1, 2]]', 'an array'],
    ['[[1, "a"]]', 'an array'],
    ['"text"', 'a string'],
    ['5', 'a number'],
    ['true', 'a boolean'],
  ])('fails locally when %s is neither an object nor key/value pairs', async (raw, got) => {
    const result = await runtimeWithoutUpstream().call(
      'create_note',
      { ...NOTE, additional_fields: raw },
      CONTEXT,
    );
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      `Error calling tool 'create_note': Invalid value for additional_fields: expected a JSON object or [key, value] pairs, got ${got}`,
    );
  });

  it.each([
    ['[["a", 1], ["title", "X"]]', { title: 'X', content: 'C', a: 1 }],
    ['["ab"]', { title: 'T', content: 'C', a: 'b' }],
    ['[]', { title: 'T', content: 'C' }],
    ['""', { title: 'T', content: 'C' }],
  ])('merges %s as dict.update did', async (raw, body) => {
    const request = await sentBody('create_note', { ...NOTE, additional_fields: raw });
    expect(request.body).toEqual(body);
  });

  it('reports bad JSON with the parameter name', async () => {
    const result = await runtimeWithoutUpstream().call(
      'update_note',
      { uid: UID, title: 't', content: 'c', additional_fields: '{oops' },
      CONTEXT,
    );
    expect(textOf(result)).toMatch(
      /^Error calling tool 'update_note': Invalid JSON string for additional_fields: /,
    );
  });

  it('is parsed after tags, so a bad tags string is the error reported', async () => {
    const result = await runtimeWithoutUpstream().call(
      'create_note',
      { ...NOTE, tags: '[', additional_fields: '{' },
      CONTEXT,
    );
    expect(textOf(result)).toMatch(/Invalid JSON string for tags: /);
  });
});

describe('metadata', () => {
  it.each([
    [{}, ABSENT],
    ['', ABSENT],
    [null, ABSENT],
    [{ why: 'x' }, { why: 'x' }],
    ['{}', {}], // the raw string is truthy
    ['null', null],
    ['[1]', [1]], // not type-checked; the API answers 400
  ])('%j is sent as %j', async (raw, sent) => {
    const request = await sentBody('process_task', { uid: UID, action: 'start', metadata: raw });
    expect(bodyKeys(request)[0]).toBe('action');
    if (sent === ABSENT) expect(request.body).toEqual({ action: 'start' });
    else expect(bodyOf(request)['metadata']).toEqual(sent);
  });
});

describe('updates', () => {
  it.each([
    [{}, {}],
    ['{}', {}],
    [{ a: 1 }, { a: 1 }],
    ['{"b": [1, 2], "uid": "ignored-by-the-api"}', { b: [1, 2], uid: 'ignored-by-the-api' }],
  ])('%j is the whole body', async (raw, sent) => {
    const request = await sentBody('patch_chat', { uid: UID, updates: raw });
    expect(request.body).toEqual(sent);
  });

  it.each([
    ['', /Invalid JSON string for updates: /],
    ['nope', /Invalid JSON string for updates: /],
    ['null', /Invalid value for updates: expected a JSON object, got null/],
    ['[]', /Invalid value for updates: expected a JSON object, got an array/],
    ['"x"', /Invalid value for updates: expected a JSON object, got a string/],
  ])('%j fails locally (always parsed, no truthiness test)', async (raw, message) => {
    const result = await runtimeWithoutUpstream().call(
      'patch_chat',
      { uid: UID, updates: raw },
      CONTEXT,
    );
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Error calling tool 'patch_chat': /);
    expect(textOf(result)).toMatch(message);
  });
});
