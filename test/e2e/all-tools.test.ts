/**
 * Every tool at least once through the SDK client, each upstream request checked against its
 * tools.json `http` mapping, and the sync-session cache: one POST /v1/sync/sessions per identity.
 */
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { expectDataRequest, expectSessionPost } from './checks.ts';
import { TOOL_NAMES, expectedRequest, fixtureTool } from './fixture.ts';
import {
  Item,
  ItemList,
  TENANT,
  callTool,
  connect,
  startStack,
  structuredOf,
  type Era,
  type Stack,
} from './stack.ts';

/** What the steps have learnt so far: uids, current versions, list cursors. */
interface State {
  readonly uid: Record<string, string>;
  readonly version: Record<string, number>;
  readonly cursor: Record<string, string>;
}

interface Step {
  readonly tool: string;
  /** Which record the step is about (a key of State.uid). */
  readonly record?: string;
  readonly args: (state: State) => Record<string, unknown>;
}

const ENTITIES = [
  { stem: 'note', list: 'list_notes', action: 'pin', patch: { pinned: true } },
  { stem: 'task', list: 'list_tasks', action: 'complete', patch: { priority: 'low' } },
  { stem: 'comment', list: 'list_comments', action: 'resolve', patch: { author: 'editor' } },
  { stem: 'chat', list: 'list_chats', action: 'resolve', patch: { topic: 'e2e' } },
  {
    stem: 'chat_message',
    list: 'list_chat_messages',
    action: 'mark_read',
    patch: { sender: 'bot' },
  },
] as const;

/** PUT bodies: trap 4, the parent link is re-supplied through additional_fields. */
function updateArgs(stem: string, state: State): Record<string, unknown> {
  const uid = state.uid[stem]!;
  const if_match = state.version[stem];
  switch (stem) {
    case 'note':
      return { uid, title: 'Renamed', content: 'new body', if_match };
    case 'task':
      return {
        uid,
        title: 'Task v2',
        description: 'more',
        status: 'in_progress',
        if_match,
        additional_fields: { priority: 'high' },
      };
    case 'comment':
      return {
        uid,
        content: 'edited',
        if_match,
        additional_fields: { parentType: 'note', parentUid: state.uid['note']! },
      };
    case 'chat':
      return {
        uid,
        title: 'Chat v2',
        description: 'renamed',
        additional_fields: { archived: false },
      };
    default:
      return {
        uid,
        content: 'edited message',
        if_match,
        additional_fields: { chatUid: state.uid['chat']! },
      };
  }
}

/** Prerequisites first (parents before children), then every operation, deletions last. */
const STEPS: readonly Step[] = [
  {
    tool: 'create_note',
    record: 'note',
    args: () => ({
      title: 'Parent note',
      content: 'body',
      tags: ['a', 'b'],
      additional_fields: { pinned: false },
    }),
  },
  {
    tool: 'create_task',
    record: 'task',
    args: () => ({
      title: 'Task',
      description: 'do it',
      status: 'open',
      priority: 'medium',
      due_date: '2030-01-31',
      tags: ['t'],
    }),
  },
  {
    tool: 'create_chat',
    record: 'chat',
    args: () => ({ title: 'Chat', description: 'talk', participants: ['u1', 'u2'], tags: ['x'] }),
  },
  {
    tool: 'create_comment',
    record: 'comment',
    args: (state) => ({
      content: 'on the note',
      parent_type: 'note',
      parent_uid: state.uid['note']!,
      author: 'me',
      tags: ['c'],
    }),
  },
  {
    tool: 'create_comment',
    record: 'task_comment',
    args: (state) => ({
      content: 'on the task',
      parent_type: 'task',
      parent_uid: state.uid['task']!,
    }),
  },
  {
    tool: 'create_chat_message',
    record: 'chat_message',
    args: (state) => ({
      chat_uid: state.uid['chat']!,
      content: 'hello',
      sender: 'u1',
      message_type: 'text',
      tags: ['m'],
    }),
  },
  ...ENTITIES.flatMap(({ stem, list, action, patch }): Step[] => [
    { tool: `get_${stem}`, record: stem, args: (state) => ({ uid: state.uid[stem]! }) },
    {
      tool: `get_${stem}`,
      record: stem,
      args: (state) => ({ uid: state.uid[stem]!, include_deleted: true }),
    },
    { tool: list, record: stem, args: () => ({ limit: 1 }) },
    {
      tool: list,
      record: stem,
      args: (state) => ({ limit: 10, cursor: state.cursor[stem]!, include_deleted: true }),
    },
    { tool: `update_${stem}`, record: stem, args: (state) => updateArgs(stem, state) },
    {
      tool: `patch_${stem}`,
      record: stem,
      args: (state) => ({ uid: state.uid[stem]!, updates: patch }),
    },
    {
      tool: `process_${stem}`,
      record: stem,
      args: (state) => ({ uid: state.uid[stem]!, action, metadata: { reason: 'e2e' } }),
    },
    { tool: `archive_${stem}`, record: stem, args: (state) => ({ uid: state.uid[stem]! }) },
  ]),
  { tool: 'health_check', args: () => ({}) },
  ...['comment', 'chat_message', 'note', 'task', 'chat'].map((stem): Step => ({
    tool: `delete_${stem}`,
    record: stem,
    args: (state) => ({ uid: state.uid[stem]! }),
  })),
];

/** Runs steps through `client`, checking each result and the one upstream request it caused. */
async function runSteps(stack: Stack, client: Client, token: string, steps: readonly Step[]) {
  const state: State = { uid: {}, version: {}, cursor: {} };
  const called = new Set<string>();
  const context = { token, tenantHeaderSecret: stack.tenantHeaderSecret };
  for (const step of steps) {
    const args = step.args(state);
    const before = stack.front.requests.length;
    const result = await callTool(client, step.tool, args);
    const structured = structuredOf(result);
    called.add(step.tool);
    const caused = stack.front.requests.slice(before).filter((r) => r.path !== '/v1/sync/sessions');

    const tool = fixtureTool(step.tool);
    if (tool.http === null) {
      expect(structured).toEqual({
        status: 'healthy',
        tenant_id: TENANT,
        go_api_base_url: stack.front.url,
      });
      expect(caused, `${step.tool} must not call the API`).toEqual([]);
      continue;
    }
    expect(caused, `${step.tool}: one upstream data request`).toHaveLength(1);
    expectDataRequest(caused[0]!, expectedRequest(tool, args), context);

    const record = step.record!;
    if (step.tool.startsWith('list_')) {
      const page = ItemList.parse(structured);
      // The page after the last item is empty (nextCursor is set on every non-empty page).
      if (args['cursor'] === undefined) expect(page.items.length).toBeGreaterThan(0);
      // Item requires the key: deletedAt is explicit, null or a time (CONTRACT.md trap 2).
      if (page.nextCursor !== null) state.cursor[record] = page.nextCursor;
      continue;
    }
    const item = Item.parse(structured);
    expect(Object.keys(structured)).toEqual([
      'uid',
      'version',
      'updatedAt',
      'deletedAt',
      'payload',
    ]);
    if (step.tool.startsWith('delete_')) expect(item.deletedAt).not.toBeNull();
    else expect(item.deletedAt).toBeNull();
    if (step.tool.startsWith('create_')) expect(item.version).toBe(1);
    state.uid[record] ??= item.uid;
    expect(item.uid).toBe(state.uid[record]);
    state.version[record] = item.version;
  }
  return called;
}

describe('every tool through the SDK client', () => {
  it('2025 era: all 41 tools, each request as tools.json maps it, one sync session', async () => {
    const stack = await startStack();
    const token = await stack.token({ sub: 'user-1' });
    const client = await connect(stack.gateway.url, token, '2025');

    const called = await runSteps(stack, client, token, STEPS);
    expect([...called].sort()).toEqual([...TOOL_NAMES].sort());

    // Trap 1 improved on: one session POST for the identity, not one per call.
    const sessions = stack.front.sessionPosts();
    expect(sessions).toHaveLength(1);
    expectSessionPost(sessions[0]!, {
      token,
      sub: 'user-1',
      tenantHeaderSecret: stack.tenantHeaderSecret,
    });
    expect(stack.front.requests[0]).toBe(sessions[0]);
    const ids = new Set(stack.front.dataRequests().map((r) => r.headers['x-sync-session']));
    expect(ids.size).toBe(1);
  });

  it.each<Era>(['2026', 'sse'])(
    '%s: a handful of tools map the same way; a second identity gets its own session',
    async (era) => {
      const stack = await startStack();
      const token = await stack.token({ sub: 'user-1' });
      const client = await connect(stack.gateway.url, token, era);
      const handful = STEPS.filter((step) =>
        [
          'create_note',
          'get_note',
          'list_notes',
          'update_note',
          'patch_note',
          'process_note',
          'delete_note',
          'health_check',
        ].includes(step.tool),
      );
      await runSteps(stack, client, token, handful);
      expect(stack.front.sessionPosts()).toHaveLength(1);

      const other = await stack.token({ sub: 'user-2' });
      const second = await connect(stack.gateway.url, other, era);
      await runSteps(stack, second, other, handful.slice(0, 3));
      await runSteps(stack, client, token, handful.slice(0, 1));
      const sessions = stack.front.sessionPosts();
      expect(sessions).toHaveLength(2);
      expectSessionPost(sessions[0]!, {
        token,
        sub: 'user-1',
        tenantHeaderSecret: stack.tenantHeaderSecret,
      });
      expectSessionPost(sessions[1]!, {
        token: other,
        sub: 'user-2',
        tenantHeaderSecret: stack.tenantHeaderSecret,
      });
    },
  );
});
