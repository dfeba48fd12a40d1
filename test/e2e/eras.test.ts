/**
 * The same conversation over each way in: 2025-era Streamable HTTP (initialize + session),
 * 2026-07-28 Streamable HTTP (stateless envelope) and the legacy SSE transport.
 */
import { describe, expect, it } from 'vitest';
import { expectDataRequest } from './checks.ts';
import { TOOL_NAMES, expectedRequest, fixtureTool } from './fixture.ts';
import { ERAS, Item, ItemList, callTool, connect, startStack, structuredOf } from './stack.ts';

describe.each(ERAS)('over %s', (era) => {
  it('lists the 41 tools and creates, gets and lists a note', async () => {
    const stack = await startStack();
    const token = await stack.token();
    const client = await connect(stack.gateway.url, token, era);
    const context = { token, tenantHeaderSecret: stack.tenantHeaderSecret };

    const { tools } = await client.listTools();
    expect(tools).toHaveLength(41);
    expect(tools.map((tool) => tool.name).sort()).toEqual([...TOOL_NAMES].sort());
    expect(stack.front.requests).toEqual([]);

    const createArgs = { title: 'Hi', content: 'x', tags: ['a'] };
    const created = structuredOf(await callTool(client, 'create_note', createArgs));
    const note = Item.parse(created);
    // camelCase keys, deletedAt explicitly null (CONTRACT.md trap 2).
    expect(Object.keys(created)).toEqual(['uid', 'version', 'updatedAt', 'deletedAt', 'payload']);
    expect(created).toHaveProperty('deletedAt', null);
    expect(note.version).toBe(1);
    expect(note.payload).toMatchObject({ title: 'Hi', content: 'x', tags: ['a'], uid: note.uid });

    const got = structuredOf(await callTool(client, 'get_note', { uid: note.uid }));
    expect(got).toEqual(created);

    const listed = structuredOf(await callTool(client, 'list_notes', {}));
    const page = ItemList.parse(listed);
    expect(Object.keys(listed)).toEqual(['items', 'nextCursor']);
    expect(page.items).toEqual([created]);
    expect(listed['items']).toEqual([expect.objectContaining({ deletedAt: null })]);

    // The upstream saw exactly one session POST and the three data calls, as tools.json says.
    expect(stack.front.sessionPosts()).toHaveLength(1);
    const data = stack.front.dataRequests();
    expect(data).toHaveLength(3);
    expectDataRequest(data[0]!, expectedRequest(fixtureTool('create_note'), createArgs), context);
    expectDataRequest(
      data[1]!,
      expectedRequest(fixtureTool('get_note'), { uid: note.uid }),
      context,
    );
    expectDataRequest(data[2]!, expectedRequest(fixtureTool('list_notes'), {}), context);
  });
});
