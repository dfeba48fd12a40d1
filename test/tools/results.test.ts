import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { createToolRuntime } from '../../src/tools/index.ts';
import {
  API_ITEM,
  BASE_URL,
  CONTEXT,
  IDENTITY,
  UID,
  runtimeAnswering,
  runtimeWithoutUpstream,
  textOf,
} from './helpers.ts';

/** Result shaping (CONTRACT.md trap 2, A.2 step 9) and error mapping (A.6). */

describe('results', () => {
  it('shape an item by alias, with deletedAt null when the API omitted it', async () => {
    const { runtime } = runtimeAnswering(() => ({ ...API_ITEM, unknownKey: 'dropped' }));
    const result = await runtime.call('get_note', { uid: UID }, CONTEXT);
    expect(result.isError).toBe(false);
    expect(result.structuredContent).toEqual({ ...API_ITEM, deletedAt: null });
    expect(Object.keys(result.structuredContent ?? {})).toEqual([
      'uid',
      'version',
      'updatedAt',
      'deletedAt',
      'payload',
    ]);
  });

  it('carry content text that is the compact JSON of structuredContent', async () => {
    const { runtime } = runtimeAnswering(() => ({ ...API_ITEM, payload: { title: 'é ü 😀' } }));
    const result = await runtime.call('archive_task', { uid: UID }, CONTEXT);
    expect(textOf(result)).toBe(JSON.stringify(result.structuredContent));
    expect(textOf(result)).not.toMatch(/\n|": /);
    expect(textOf(result)).toContain('é ü 😀');
  });

  it('keep deletedAt when present', async () => {
    const deletedAt = '2025-11-20T00:00:01Z';
    const { runtime } = runtimeAnswering(() => ({ ...API_ITEM, deletedAt }));
    const result = await runtime.call('delete_chat', { uid: UID }, CONTEXT);
    expect(result.structuredContent?.['deletedAt']).toBe(deletedAt);
  });

  it('shape every item of a page, and nextCursor null when absent', async () => {
    const second = { ...API_ITEM, uid: 'second', deletedAt: '2025-11-20T00:00:02Z' };
    const { runtime } = runtimeAnswering(() => ({ items: [API_ITEM, second] }));
    const result = await runtime.call('list_comments', {}, CONTEXT);
    expect(result.structuredContent).toEqual({
      items: [{ ...API_ITEM, deletedAt: null }, second],
      nextCursor: null,
    });
    expect(textOf(result)).toBe(JSON.stringify(result.structuredContent));
  });

  it('keep nextCursor when present', async () => {
    const { runtime } = runtimeAnswering(() => ({ items: [API_ITEM], nextCursor: 'abc' }));
    const result = await runtime.call('list_notes', {}, CONTEXT);
    expect(Object.keys(result.structuredContent ?? {})).toEqual(['items', 'nextCursor']);
    expect(result.structuredContent?.['nextCursor']).toBe('abc');
  });

  it('of health_check come from the identity and the configuration, without an API call', async () => {
    const runtime = runtimeWithoutUpstream();
    const result = await runtime.call('health_check', {}, CONTEXT);
    const health = { status: 'healthy', tenant_id: IDENTITY.tenantId, go_api_base_url: BASE_URL };
    expect(result).toEqual({
      content: [{ type: 'text', text: JSON.stringify(health) }],
      structuredContent: health,
      isError: false,
    });
  });
});

describe('an API answer of the wrong shape', () => {
  it.each([
    ['get_note', { ...API_ITEM, payload: undefined }, 'payload'],
    ['get_note', { ...API_ITEM, version: '2' }, 'version'],
    ['get_note', { ...API_ITEM, version: 2.5 }, 'version'],
    ['get_note', { ...API_ITEM, payload: [1] }, 'payload'],
    ['get_note', { ...API_ITEM, deletedAt: 5 }, 'deletedAt'],
    ['get_note', null, '(body)'],
    ['get_note', 'text', '(body)'],
    ['list_notes', { items: {} }, 'items'],
    ['list_notes', { items: [{ uid: 1 }] }, 'items.0.uid'],
    ['list_notes', { items: [], nextCursor: 3 }, 'nextCursor'],
  ])('%s answered with %j is a tool error naming %s', async (tool, body, where) => {
    const { runtime } = runtimeAnswering(() => body);
    const args = tool === 'get_note' ? { uid: UID } : {};
    const result = await runtime.call(tool, args, CONTEXT);
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(textOf(result)).toMatch(
      new RegExp(
        `^Error calling tool '${tool}': The ToolBridge API returned an unexpected response \\(.*${where.replace(/[().]/g, '\\$&')}: `,
      ),
    );
  });
});

describe('errors', () => {
  function runtimeThrowing(
    error: unknown,
    onInternalError?: (error: unknown, tool: string) => void,
  ) {
    return createToolRuntime({
      ...(onInternalError === undefined ? {} : { onInternalError }),
      // Thrown synchronously: the runtime must cope with a misbehaving upstream, too.
      upstream: {
        call: () => {
          throw error;
        },
        cut: () => undefined,
        close: () => Promise.resolve(),
      },
      goApiBaseUrl: BASE_URL,
    });
  }

  it('from the upstream keep their message after the FastMCP prefix', async () => {
    const message =
      "HTTP 412 Precondition Failed: version mismatch: expected 3, actual 4 (correlation_id 'c-9')";
    const runtime = runtimeThrowing(new AppError('UPSTREAM_HTTP_ERROR', message));
    const result = await runtime.call(
      'update_note',
      { uid: UID, title: 't', content: 'c' },
      CONTEXT,
    );
    expect(result).toEqual({
      content: [{ type: 'text', text: `Error calling tool 'update_note': ${message}` }],
      isError: true,
      failure: { code: 'UPSTREAM_HTTP_ERROR' },
    });
  });

  it('rejected by the upstream are mapped the same way', async () => {
    const { runtime } = runtimeAnswering(() => {
      throw new AppError('UPSTREAM_TIMEOUT', 'The ToolBridge API did not answer within 30 s');
    });
    const result = await runtime.call('list_tasks', {}, CONTEXT);
    expect(textOf(result)).toBe(
      "Error calling tool 'list_tasks': The ToolBridge API did not answer within 30 s",
    );
    expect(result.isError).toBe(true);
  });

  it.each([
    new Error('connect failed: Bearer eyJSECRET and tenant secret hunter2'),
    new TypeError('Cannot read properties of undefined (hunter2)'),
    'a thrown string with hunter2',
    undefined,
  ])('of any other kind become "internal error", revealing nothing (%j)', async (thrown) => {
    const result = await runtimeThrowing(thrown).call('get_task', { uid: UID }, CONTEXT);
    expect(result).toEqual({
      content: [{ type: 'text', text: "Error calling tool 'get_task': internal error" }],
      isError: true,
      failure: { code: 'INTERNAL' },
    });
    expect(JSON.stringify(result)).not.toMatch(/hunter2|SECRET/);
  });

  it('hands an unexpected error to onInternalError, so the operator log has it', async () => {
    const seen: [unknown, string][] = [];
    const thrown = new TypeError('boom');
    await runtimeThrowing(thrown, (error, tool) => seen.push([error, tool])).call(
      'get_task',
      { uid: UID },
      CONTEXT,
    );
    expect(seen).toEqual([[thrown, 'get_task']]);
  });

  it('for an unknown tool name is thrown, and has() says no', async () => {
    const runtime = runtimeWithoutUpstream();
    for (const name of ['nope', 'constructor', '__proto__', 'toString', 'list_note']) {
      expect(runtime.has(name)).toBe(false);
    }
    await expect(runtime.call('nope', {}, CONTEXT)).rejects.toSatisfy(
      (error) =>
        error instanceof AppError &&
        error.code === 'INVALID_ARGUMENTS' &&
        error.message === 'Unknown tool: nope',
    );
  });
});
