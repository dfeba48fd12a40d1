import { describe, expect, it } from 'vitest';
import type { UpstreamRequest } from '../../src/proxy/types.ts';
import {
  CONTEXT,
  DATA_TOOLS,
  IDENTITY,
  UID,
  bodyKeys,
  bodyOf,
  onlyRequest,
  runtimeAnswering,
  type FixtureTool,
} from './helpers.ts';

/**
 * Every data tool against tools.json `http`: once with every parameter given (all optional keys
 * present) and once with only the required ones (only the unconditional keys present).
 */

const ADDITIONAL = { extra: 'x', more: 2 };
const UPDATES = { title: 'patched', pinned: true };

/** A value of the parameter's type that is also Python-truthy, so that it is sent. */
function sampleValue(param: FixtureTool['params'][number]): unknown {
  if (param.name === 'uid') return UID;
  if (param.name === 'additional_fields') return ADDITIONAL;
  if (param.name === 'metadata') return { reason: 'because' };
  if (param.name === 'updates') return UPDATES;
  if (param.name === 'limit') return 7;
  if (param.name === 'if_match') return 3;
  if (param.type === 'boolean') return true;
  if (param.type.startsWith('array')) return ['a', 'b'];
  if (param.type.startsWith('string')) return `${param.name}-value`;
  throw new Error(`no sample for ${param.name} (${param.type})`);
}

function argsFor(tool: FixtureTool, which: 'all' | 'required'): Record<string, unknown> {
  const params = tool.params.filter((param) => which === 'all' || param.required);
  return Object.fromEntries(params.map((param) => [param.name, sampleValue(param)]));
}

const camel = (name: string) =>
  name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());

/** The request tools.json describes for these arguments. */
function expectedRequest(tool: FixtureTool, args: Record<string, unknown>): UpstreamRequest {
  const http = tool.http!;
  const given = (param: string) => args[param] !== undefined;
  const defaultOf = (name: string) => tool.params.find((param) => param.name === name)?.default;
  const query = http.query
    .filter((entry) => entry.when === 'always' || given(entry.param))
    .map((entry) => {
      if (entry.name === 'includeDeleted') return [entry.name, 'true'] as const;
      return [entry.name, String(args[entry.param] ?? defaultOf(entry.param))] as const;
    });
  let body: unknown;
  if (http.body !== null) {
    const entries: [string, unknown][] = [];
    for (const key of http.body.keys) {
      if (key === '<additional_fields>*') {
        if (given('additional_fields')) entries.push(...Object.entries(ADDITIONAL));
      } else if (key === '<caller-defined>') {
        entries.push(...Object.entries(UPDATES));
      } else {
        const name = key.replace(/\?$/, '');
        const param = tool.params.find((candidate) => camel(candidate.name) === name);
        if (param === undefined) throw new Error(`${tool.name}: no parameter for body key ${name}`);
        if (given(param.name)) entries.push([name, args[param.name]]);
        else if (!key.endsWith('?')) entries.push([name, param.default]);
      }
    }
    body = Object.fromEntries(entries);
  }
  return {
    method: http.method,
    path: http.path.replace('{uid}', UID),
    ...(http.query.length > 0 || query.length > 0 ? { query } : {}),
    ...(body === undefined ? {} : { body }),
    ...(http.if_match !== null && given('if_match') ? { ifMatch: 3 } : {}),
  };
}

describe.each(DATA_TOOLS.map((tool) => [tool.name, tool] as const))('%s', (name, tool) => {
  it.each(['all', 'required'] as const)(
    'sends the tools.json request (%s parameters)',
    async (which) => {
      const { runtime, calls } = runtimeAnswering((request) =>
        tool.operation === 'list'
          ? { items: [] }
          : { uid: UID, version: 1, updatedAt: 't', payload: {}, path: request.path },
      );
      const args = argsFor(tool, which);
      const result = await runtime.call(name, args, CONTEXT);
      expect(result.isError).toBe(false);

      const request = onlyRequest(calls);
      const expected = expectedRequest(tool, args);
      expect(request).toEqual(expected);
      // toEqual ignores key order; the body's insertion order is part of the contract (A.4).
      expect(bodyKeys(request)).toEqual(bodyKeys(expected));
      expect(calls[0]!.identity).toBe(IDENTITY);
    },
  );
});

describe('request details', () => {
  it('sends If-Match 0, which Python sent because it tested `is not None` (A.2)', async () => {
    const { runtime, calls } = runtimeAnswering();
    await runtime.call('update_task', { uid: UID, title: 't', if_match: 0 }, CONTEXT);
    expect(onlyRequest(calls).ifMatch).toBe(0);
  });

  it.each([
    ['a/b?c#d', '/v1/notes/a%2Fb%3Fc%23d'],
    ['../x', '/v1/notes/..%2Fx'],
    ['with space', '/v1/notes/with%20space'],
    ['ünï', '/v1/notes/%C3%BCn%C3%AF'],
    // A path segment's own characters stay, as Python sent them (the Go API takes this form).
    [`urn:uuid:${UID}`, `/v1/notes/urn:uuid:${UID}`],
    ["a@b$c&d+e,f;g=h!i'j(k)l*m~n", "/v1/notes/a@b$c&d+e,f;g=h!i'j(k)l*m~n"],
    ['50%', '/v1/notes/50%25'],
  ])('percent-encodes the uid %j into one path segment', async (uid, path) => {
    const { runtime, calls } = runtimeAnswering();
    await runtime.call('get_note', { uid }, CONTEXT);
    expect(onlyRequest(calls).path).toBe(path);
  });

  it('keeps the uid as given in the PUT body', async () => {
    const { runtime, calls } = runtimeAnswering();
    await runtime.call('update_note', { uid: 'a/b', title: 't', content: 'c' }, CONTEXT);
    expect(onlyRequest(calls).path).toBe('/v1/notes/a%2Fb');
    expect(bodyOf(onlyRequest(calls))['uid']).toBe('a/b');
  });

  it('sends the query values unencoded, for the proxy to encode', async () => {
    const { runtime, calls } = runtimeAnswering(() => ({ items: [] }));
    await runtime.call('list_tasks', { cursor: 'MTc2|a b&c=d' }, CONTEXT);
    expect(onlyRequest(calls).query).toEqual([
      ['limit', '100'],
      ['cursor', 'MTc2|a b&c=d'],
    ]);
  });

  it('does not send an empty cursor or include_deleted=false', async () => {
    const { runtime, calls } = runtimeAnswering(() => ({ items: [] }));
    await runtime.call('list_chats', { cursor: '', include_deleted: false }, CONTEXT);
    expect(onlyRequest(calls).query).toEqual([['limit', '100']]);
  });

  it('does not send empty optional strings (Python truthiness)', async () => {
    const { runtime, calls } = runtimeAnswering();
    await runtime.call(
      'create_task',
      { title: '', description: '', status: '', priority: '', due_date: '' },
      CONTEXT,
    );
    // A required string is sent even when empty (tools.json create_note quirk).
    expect(onlyRequest(calls).body).toEqual({ title: '' });
  });

  it('passes the abort signal and correlation id to the upstream', async () => {
    const { runtime, calls } = runtimeAnswering();
    const signal = new AbortController().signal;
    await runtime.call('get_chat', { uid: UID }, { ...CONTEXT, signal, correlationId: 'corr-1' });
    expect(calls[0]!.options).toEqual({ signal, correlationId: 'corr-1' });
  });

  it('passes no options when the context has none', async () => {
    const { runtime, calls } = runtimeAnswering();
    await runtime.call('get_chat', { uid: UID }, CONTEXT);
    expect(calls[0]!.options).toEqual({});
  });
});
