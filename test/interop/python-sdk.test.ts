/**
 * The official Python MCP SDK (PyPI `mcp`, 1.x and 2.x) against the gateway: mcp_client.py
 * connects over each transport that release has, with an Authorization header, lists the tools
 * and creates a note. The venvs come from python-setup.ts (a vitest globalSetup); when it is not
 * registered this file installs them itself before its first test.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { ensurePythonClients, MCP_VERSIONS, type PythonClient } from './python-setup.ts';
import { Note, TOOL_NAMES, runClient, startStack } from './stack.ts';

const SCRIPT = resolve(import.meta.dirname, 'mcp_client.py');

let clients: readonly PythonClient[] = [];
beforeAll(async () => {
  clients = inject('interopPython') ?? (await ensurePythonClients());
}, 300_000);

const pythonFor = (version: string): string => {
  const found = clients.find((client) => client.version === version);
  if (found === undefined) throw new Error(`no venv for mcp ${version}`);
  return found.python;
};

const Output = z.object({
  transport: z.string(),
  sdk: z.string(),
  protocol_version: z.string(),
  server: z.object({ name: z.string(), version: z.string() }),
  tools: z.array(z.string()),
  call: z.object({
    is_error: z.boolean(),
    structured: z.record(z.string(), z.unknown()).nullable(),
    text: z.array(z.string().nullable()),
  }),
});

type Transport = 'streamable-http' | 'streamable-http-2026' | 'sse';

const cases: { version: string; transport: Transport; protocol: RegExp }[] = MCP_VERSIONS.flatMap(
  (version) => {
    const eras: { transport: Transport; protocol: RegExp }[] = [
      { transport: 'streamable-http', protocol: /^2025-/ },
      { transport: 'sse', protocol: /^2025-/ },
    ];
    // server/discover and the stateless 2026-07-28 envelope arrived with mcp 2.
    if (!version.startsWith('1.')) {
      eras.push({ transport: 'streamable-http-2026', protocol: /^2026-07-28$/ });
    }
    return eras.map((era) => ({ version, ...era }));
  },
);

async function runScript(python: string, args: readonly string[]) {
  return runClient(python, [SCRIPT, ...args], 30_000);
}

describe('Python MCP SDK', () => {
  it.each(cases)(
    'mcp $version over $transport: lists 41 tools and creates a note',
    async ({ version, transport, protocol }) => {
      const stack = await startStack();
      const title = `py ${version} ${transport}`;
      const run = await runScript(pythonFor(version), [
        transport,
        stack.url,
        await stack.token(),
        'create_note',
        JSON.stringify({ title, content: 'from the Python SDK', tags: ['interop'] }),
      ]);
      expect(run.code, run.stderr).toBe(0);
      const out = Output.parse(JSON.parse(run.stdout));
      expect(out.sdk).toBe(`mcp ${version}`);
      expect(out.protocol_version).toMatch(protocol);
      expect(out.server.name).toBe('ToolBridge');
      expect(out.tools).toEqual(TOOL_NAMES);
      expect(out.call.is_error).toBe(false);
      const note = Note.parse(out.call.structured);
      expect(note.payload).toMatchObject({ title, content: 'from the Python SDK' });
      expect(out.call.text).toEqual([JSON.stringify(out.call.structured)]);
    },
  );

  it('is refused without a valid token', async () => {
    const stack = await startStack();
    const run = await runScript(pythonFor(MCP_VERSIONS[0]), [
      'streamable-http',
      stack.url,
      'not-a-jwt',
      'list_notes',
      '{}',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    // MCP_VERSIONS[0] is an mcp 1.x, which raises httpx's error for the gateway's 401 (mcp 2.x
    // says only "Server returned an error response"). The token is a placeholder: no secret here.
    expect(run.stderr).toMatch(/httpx\.HTTPStatusError: Client error '401 Unauthorized' for url/);
  });
});
