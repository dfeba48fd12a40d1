/**
 * What tools/list advertises, over every way in, and whether the embedded ToolBridge API behind
 * the gateway does what the descriptions promise: each failure a test provokes must answer a
 * status that the tool's own description lists.
 */
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import type { Upstream } from '../../src/proxy/types.ts';
import { createToolRuntime, type ToolDefinition } from '../../src/tools/index.ts';
import { ERAS, Item, callTool, connect, startStack, structuredOf, textOf } from './stack.ts';

const unused: Upstream = {
  call: () => Promise.reject(new Error('not called')),
  cut: () => undefined,
  close: () => Promise.resolve(),
};

/** The catalog as the gateway builds it. */
const CATALOG: readonly ToolDefinition[] = createToolRuntime({
  upstream: unused,
  goApiBaseUrl: 'http://127.0.0.1:1',
}).definitions;

function advertised(name: string): ToolDefinition {
  const found = CATALOG.find((tool) => tool.name === name);
  if (found === undefined) throw new Error(`no tool ${name}`);
  return found;
}

/** The statuses listed at the end of a tool's description. */
function promised(name: string): number[] {
  const [, failures = ''] = advertised(name).description.split('naming the HTTP status:');
  return failures.split(';').map((item) => Number(/^\s*(\d{3}) /.exec(item)?.[1]));
}

async function succeeds(client: Client, tool: string, args: Record<string, unknown>) {
  return Item.parse(structuredOf(await callTool(client, tool, args)));
}

/** Calls a tool that must fail with `status`, a status its description lists. */
async function failsWith(
  client: Client,
  tool: string,
  args: Record<string, unknown>,
  status: number,
): Promise<void> {
  const result = await callTool(client, tool, args);
  expect(result.isError, `${tool} should fail`).toBe(true);
  expect(textOf(result)).toContain(`ToolBridge API answered ${status} `);
  expect(promised(tool), `${tool} lists ${status}`).toContain(status);
}

/** The payload without what every applied write changes. */
function content(payload: Record<string, unknown>): Record<string, unknown> {
  const { updatedTs, sync, ...rest } = payload;
  expect([updatedTs, sync]).not.toContain(undefined);
  return rest;
}

describe.each(ERAS)('tools/list over %s', (era) => {
  it('advertises every tool with its description and annotations', async () => {
    const stack = await startStack();
    const client = await connect(stack.gateway.url, await stack.token(), era);
    const { tools } = await client.listTools();
    const shown = tools.map(({ name, description, annotations }) => ({
      name,
      description,
      annotations,
    }));
    expect(shown).toEqual(
      CATALOG.map(({ name, description, annotations }) => ({ name, description, annotations })),
    );
    expect(shown.every((tool) => tool.annotations !== undefined)).toBe(true);
  });
});

interface Parents {
  readonly note: string;
  readonly chat: string;
}

/** Per entity: arguments of a valid create and PUT, and one of its actions. */
const ENTITIES = [
  {
    stem: 'note',
    create: () => ({ title: 'n', content: 'body' }),
    put: () => ({ title: 'n2', content: 'body2' }),
    action: 'pin',
  },
  { stem: 'task', create: () => ({ title: 't' }), put: () => ({ title: 't2' }), action: 'start' },
  { stem: 'chat', create: () => ({ title: 'c' }), put: () => ({ title: 'c2' }), action: 'resolve' },
  {
    stem: 'comment',
    create: (p: Parents) => ({ content: 'x', parent_type: 'note', parent_uid: p.note }),
    put: (p: Parents) => ({
      content: 'y',
      additional_fields: { parentType: 'note', parentUid: p.note },
    }),
    action: 'resolve',
  },
  {
    stem: 'chat_message',
    create: (p: Parents) => ({ chat_uid: p.chat, content: 'm' }),
    put: (p: Parents) => ({ content: 'm2', additional_fields: { chatUid: p.chat } }),
    action: 'mark_read',
  },
] as const;

const UNKNOWN_UID = '0b6c4a44-0d5e-4f43-9a37-1f2d3c4b5a69';

describe('what the descriptions promise', () => {
  it.each(ENTITIES.map((entity) => [entity.stem, entity] as const))(
    '%s: the failures, the repeats and the soft delete',
    async (stem, entity) => {
      const stack = await startStack();
      const client = await connect(stack.gateway.url, await stack.token(), '2025');
      const parents: Parents = {
        note: (await succeeds(client, 'create_note', { title: 'p', content: 'p' })).uid,
        chat: (await succeeds(client, 'create_chat', { title: 'p' })).uid,
      };
      await failsWith(client, `get_${stem}`, { uid: 'not-a-uuid' }, 400);
      await failsWith(client, `get_${stem}`, { uid: UNKNOWN_UID }, 404);

      const created = await succeeds(client, `create_${stem}`, entity.create(parents));
      expect([created.version, created.deletedAt]).toEqual([1, null]);
      const uid = created.uid;
      const stale = { uid, ...entity.put(parents), if_match: created.version + 1 };
      await failsWith(client, `update_${stem}`, stale, 412);
      await failsWith(client, `process_${stem}`, { uid, action: 'fly' }, 400);

      // Repeats change nothing but the version (the idempotent hints rest on this).
      for (const [tool, args] of [
        [`process_${stem}`, { uid, action: entity.action }],
        [`archive_${stem}`, { uid }],
        [`patch_${stem}`, { uid, updates: { extra: null } }],
        [`update_${stem}`, { uid, ...entity.put(parents) }],
      ] as const) {
        const first = await succeeds(client, tool, args);
        const again = await succeeds(client, tool, args);
        expect(again.version, tool).toBe(first.version + 1);
        expect(content(again.payload), tool).toEqual(content(first.payload));
      }
      const patched = await succeeds(client, `patch_${stem}`, { uid, updates: { extra: null } });
      expect(patched.payload).toHaveProperty('extra', null);

      const deleted = await succeeds(client, `delete_${stem}`, { uid });
      expect(deleted.deletedAt).not.toBeNull();
      expect(deleted.payload['sync']).toMatchObject({ isDeleted: true });
      await failsWith(client, `get_${stem}`, { uid }, 410);
      await succeeds(client, `get_${stem}`, { uid, include_deleted: true });
      await failsWith(client, `update_${stem}`, { uid, ...entity.put(parents) }, 410);
      await failsWith(client, `patch_${stem}`, { uid, updates: { a: 1 } }, 410);
      await failsWith(client, `archive_${stem}`, { uid }, 410);
      await failsWith(client, `process_${stem}`, { uid, action: entity.action }, 410);
      await failsWith(client, `delete_${stem}`, { uid }, 410);

      // The create-upsert: a uid in additional_fields revives the record with the new payload.
      const revived = await succeeds(client, `create_${stem}`, {
        ...entity.create(parents),
        additional_fields: { uid, marker: 'revived' },
      });
      expect(revived).toMatchObject({ uid, deletedAt: null, payload: { marker: 'revived' } });
      expect(revived.version).toBe(deleted.version + 1);
      expect(revived.payload).not.toHaveProperty('extra');
    },
  );

  it('comments and chat messages fail with 500 when their parent is not live', async () => {
    const stack = await startStack();
    const client = await connect(stack.gateway.url, await stack.token(), '2025');
    const note = await succeeds(client, 'create_note', { title: 'p', content: 'p' });
    const chat = await succeeds(client, 'create_chat', { title: 'p' });
    const comment = await succeeds(client, 'create_comment', {
      content: 'c',
      parent_type: 'note',
      parent_uid: note.uid,
    });
    const message = await succeeds(client, 'create_chat_message', {
      chat_uid: chat.uid,
      content: 'm',
    });
    const onChat = { content: 'c', parent_type: 'chat', parent_uid: chat.uid };
    await failsWith(client, 'create_comment', onChat, 500);
    // A PUT that does not re-send the link drops it.
    await failsWith(client, 'update_comment', { uid: comment.uid, content: 'd' }, 500);
    await failsWith(client, 'update_chat_message', { uid: message.uid, content: 'n' }, 500);

    await succeeds(client, 'delete_note', { uid: note.uid });
    await succeeds(client, 'delete_chat', { uid: chat.uid });
    const onDeleted = { content: 'c', parent_type: 'note', parent_uid: note.uid };
    await failsWith(client, 'create_comment', onDeleted, 500);
    await failsWith(client, 'create_chat_message', { chat_uid: chat.uid, content: 'm' }, 500);
    await failsWith(client, 'archive_comment', { uid: comment.uid }, 500);
    await failsWith(client, 'patch_comment', { uid: comment.uid, updates: { a: 1 } }, 500);
    const read = { uid: message.uid, action: 'mark_read' };
    await failsWith(client, 'process_chat_message', read, 500);
    // Delete skips the check: what the delete_note/delete_chat descriptions say is left.
    await succeeds(client, 'delete_comment', { uid: comment.uid });
    await succeeds(client, 'delete_chat_message', { uid: message.uid });
  });

  it('a spent rate limit answers 429 with the seconds to wait', async () => {
    const stack = await startStack();
    const client = await connect(stack.gateway.url, await stack.token({ sub: 'hasty' }), '2025');
    let text = '';
    // The bucket holds 120 and refills 10 per second (B.5): batches of 20 outrun it quickly.
    for (let batch = 0; batch < 20 && text === ''; batch += 1) {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => callTool(client, 'list_notes', { limit: 1 })),
      );
      text = results.filter((result) => result.isError === true).map(textOf)[0] ?? '';
    }
    expect(text).toMatch(/answered 429 .*retry after \d+ seconds?/i);
    expect(promised('list_notes')).toContain(429);
  });
});
