import { describe, expect, it } from 'vitest';
import { createToolRuntime, type ToolDefinition } from '../../src/tools/index.ts';
import { BASE_URL, TOOLS, fakeUpstream } from './helpers.ts';

/**
 * The intended hints per operation, written out here rather than imported, so a change to the
 * table in src/tools/annotations.ts has to be made twice, on purpose. The reasons are in that
 * file; in short: create can upsert over an existing record through additional_fields.uid;
 * update drops unsent keys; patch replaces nested objects whole; delete hides the record for
 * good; archive and process set one key to a fixed value. Every tool stays in the caller's own
 * ToolBridge data, so none is open-world.
 */
const EXPECTED = {
  list: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  get: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  create: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  update: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  patch: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  delete: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  archive: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  process: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  health: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
} as const;

type Operation = keyof typeof EXPECTED;
const isOperation = (value: string): value is Operation => Object.hasOwn(EXPECTED, value);

/** tools.json names each tool's operation (`health` for health_check). */
function operationOf(name: string): Operation {
  const operation = TOOLS.find((tool) => tool.name === name)?.operation;
  if (operation === undefined || !isOperation(operation)) {
    throw new Error(`no expected hints for ${name} (${operation ?? 'not in tools.json'})`);
  }
  return operation;
}

function definitions(): readonly ToolDefinition[] {
  const { upstream } = fakeUpstream();
  return createToolRuntime({ upstream, goApiBaseUrl: BASE_URL }).definitions;
}

describe('tool annotations', () => {
  it('cover every operation of tools.json', () => {
    expect(new Set(TOOLS.map((tool) => operationOf(tool.name)))).toEqual(
      new Set(Object.keys(EXPECTED)),
    );
  });

  it.each(TOOLS.map((tool) => tool.name))('%s has all five, with the intended hints', (name) => {
    const annotations = definitions().find((candidate) => candidate.name === name)?.annotations;
    if (annotations === undefined) throw new Error(`${name} has no annotations`);
    const { title, ...hints } = annotations;
    expect(title).toMatch(/^[A-Z]\S* \S/);
    // toStrictEqual: no hint missing, none extra.
    expect(hints).toStrictEqual({ ...EXPECTED[operationOf(name)], openWorldHint: false });
  });

  it('give every tool a title of its own', () => {
    const titles = definitions().map((tool) => tool.annotations?.title);
    expect(new Set(titles).size).toBe(41);
  });

  it.each([
    ['list_chat_messages', 'List chat messages'],
    ['get_note', 'Get note'],
    ['update_task', 'Replace task'],
    ['process_note', 'Apply note action (pin, unpin, archive, unarchive)'],
    ['process_chat_message', 'Apply chat message action (mark_read, mark_delivered)'],
    ['health_check', 'Health check'],
  ])('titles %s "%s"', (name, title) => {
    expect(definitions().find((tool) => tool.name === name)?.annotations?.title).toBe(title);
  });
});
