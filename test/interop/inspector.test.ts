/**
 * The official MCP Inspector's CLI (@modelcontextprotocol/inspector, a devDependency) against the
 * gateway, run as a developer would run it (./inspector-cli.ts).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { inspector, succeeded } from './inspector-cli.ts';
import { Note, TOOL_NAMES, ToolResult, startStack } from './stack.ts';

const ListResult = z.object({ tools: z.array(z.object({ name: z.string() })) });

describe('MCP Inspector CLI', () => {
  it('lists the 41 tools over Streamable HTTP', async () => {
    const stack = await startStack();
    const auth = `Authorization: Bearer ${await stack.token()}`;
    const result = await succeeded([
      `${stack.url}/mcp`,
      '--transport',
      'http',
      '--header',
      auth,
      '--method',
      'tools/list',
    ]);
    const { tools } = ListResult.parse(result);
    expect(tools.map((tool) => tool.name)).toEqual(TOOL_NAMES);
  });

  it('creates a note (2025 session), reads it back (2026-07-28 era) and over legacy SSE', async () => {
    const stack = await startStack();
    const auth = `Authorization: Bearer ${await stack.token()}`;
    const created = ToolResult.parse(
      await succeeded([
        `${stack.url}/mcp`,
        '--transport',
        'http',
        '--header',
        auth,
        '--method',
        'tools/call',
        '--tool-name',
        'create_note',
        '--tool-arg',
        'title=From the Inspector',
        'content=Hello, gateway',
      ]),
    );
    expect(created.isError).toBe(false);
    const note = Note.parse(created.structuredContent);
    expect(note.payload).toMatchObject({ title: 'From the Inspector', content: 'Hello, gateway' });
    expect(JSON.parse(created.content[0]?.text ?? '')).toEqual(created.structuredContent);

    const modern = ToolResult.parse(
      await succeeded([
        `${stack.url}/mcp`,
        '--transport',
        'http',
        '--protocol-era',
        'modern',
        '--header',
        auth,
        '--method',
        'tools/call',
        '--tool-name',
        'get_note',
        '--tool-arg',
        `uid=${note.uid}`,
      ]),
    );
    expect(modern.isError).toBe(false);
    expect(modern.structuredContent).toEqual(created.structuredContent);

    const overSse = ToolResult.parse(
      await succeeded([
        `${stack.url}/sse`,
        '--transport',
        'sse',
        '--header',
        auth,
        '--method',
        'tools/call',
        '--tool-name',
        'list_notes',
        '--tool-arg',
        'limit=5',
      ]),
    );
    expect(overSse.isError).toBe(false);
    expect(overSse.structuredContent).toMatchObject({ items: [created.structuredContent] });
  });

  it('reports a missing token as auth_required (from the 401 challenge), exit 3', async () => {
    const stack = await startStack();
    const run = await inspector([
      `${stack.url}/mcp`,
      '--transport',
      'http',
      '--method',
      'tools/list',
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('"code":"auth_required"');
  });
});
