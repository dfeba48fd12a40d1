import { describe, expect, it } from 'vitest';
import { createToolRuntime, type ToolDefinition } from '../../src/tools/index.ts';
import { BASE_URL, DATA_TOOLS, TOOLS, fakeUpstream, type FixtureTool } from './helpers.ts';

/**
 * The generated descriptions: every argument explained, the result's keys named, the statuses a
 * caller must expect listed, and the text built from each entity's own facts. Expectations come
 * from CONTRACT.md B.6 and tools.json, not from the code that writes the text.
 */

function definition(name: string): ToolDefinition {
  const { upstream } = fakeUpstream();
  const found = createToolRuntime({ upstream, goApiBaseUrl: BASE_URL }).definitions.find(
    (candidate) => candidate.name === name,
  );
  if (found === undefined) throw new Error(`no definition ${name}`);
  return found;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function properties(schema: Readonly<Record<string, unknown>>): [string, unknown][] {
  const found = schema['properties'];
  if (!isRecord(found)) throw new Error('schema has no properties');
  return Object.entries(found);
}

/** `/v1/chat_messages/{uid}/process` → `chat_messages` */
const entityOf = (tool: FixtureTool): string => tool.http?.path.split('/')[2] ?? '';

/** Errors of each operation in B.6, besides the rate limit (429) that every API call can meet. */
const STATUSES: Readonly<Record<string, readonly number[]>> = {
  list: [],
  get: [400, 404, 410],
  create: [],
  update: [400, 404, 410, 412],
  patch: [400, 404, 410],
  delete: [400, 404, 410],
  archive: [400, 404, 410],
  process: [400, 404, 410],
};

/** B.6 parent validation: a comment or chat message write (not a delete) can fail with 500. */
const PARENT_CHECKED = new Set(['comments', 'chat_messages']);
const WRITES = new Set(['create', 'update', 'patch', 'archive', 'process']);

function expectedStatuses(tool: FixtureTool): number[] {
  const own = STATUSES[tool.operation] ?? [];
  const parent = PARENT_CHECKED.has(entityOf(tool)) && WRITES.has(tool.operation) ? [500] : [];
  return [...own, ...parent, 429].sort();
}

/**
 * The statuses in a description's list of failures (which ends it), except those named only to
 * be denied ("412, never 409"). Statuses elsewhere in the text may be about other tools' calls.
 */
function failureStatuses(description: string): number[] {
  const [, text = ''] = description.split('naming the HTTP status:');
  const found = [...text.matchAll(/(?<!never |not )\b([45]\d\d)\b/g)].map((match) =>
    Number(match[1]),
  );
  return [...new Set(found)].sort();
}

/** Every `<verb>_<entity>` tool name a text refers to. */
const toolNamesIn = (text: string): string[] =>
  [...text.matchAll(/\b(?:list|get|create|update|patch|delete|archive|process)_[a-z_]+/g)].map(
    (match) => match[0],
  );

const acceptedActions = (tool: FixtureTool): readonly string[] =>
  tool.params.find((param) => param.name === 'action')?.constraints?.accepted_by_server ?? [];

const PROCESS_TOOLS = TOOLS.filter((tool) => tool.operation === 'process');

describe('tool descriptions', () => {
  describe.each(TOOLS.map((tool) => [tool.name, tool] as const))('%s', (name, tool) => {
    it('explain every argument', () => {
      for (const [property, schema] of properties(definition(name).inputSchema)) {
        const text = isRecord(schema) ? schema['description'] : undefined;
        expect(typeof text === 'string' ? text : '', `${name}.${property}`).toMatch(/\S.{14}/);
      }
    });

    it('name every key of the structured result', () => {
      const { description, outputSchema } = definition(name);
      // health_check's output schema is open (Python's dict); its description names the keys.
      const keys = isRecord(outputSchema['properties'])
        ? properties(outputSchema).map(([key]) => key)
        : ['status', 'tenant_id', 'go_api_base_url'];
      for (const key of keys) expect(description).toContain(key);
    });

    it('refer only to tools that exist, of the same entity', () => {
      const known = new Set(TOOLS.map((other) => other.name));
      const sameEntity = new Set(
        TOOLS.filter((other) => entityOf(other) === entityOf(tool)).map((other) => other.name),
      );
      for (const referred of toolNamesIn(definition(name).description)) {
        expect(known, `${name} refers to ${referred}`).toContain(referred);
        expect(sameEntity, `${name} refers to ${referred}`).toContain(referred);
      }
    });
  });

  it.each(DATA_TOOLS.map((tool) => [tool.name, tool] as const))(
    '%s names the HTTP statuses its operation can answer',
    (name, tool) => {
      expect(failureStatuses(definition(name).description)).toEqual(expectedStatuses(tool));
    },
  );

  it.each(DATA_TOOLS.map((tool) => [tool.name, tool] as const))(
    '%s is dense but not a wall of text',
    (name, tool) => {
      const { length } = definition(name).description;
      expect(length).toBeGreaterThan(
        tool.operation === 'list' || tool.operation === 'get' ? 400 : 500,
      );
      expect(length).toBeLessThan(1300);
    },
  );

  it.each(PROCESS_TOOLS.map((tool) => [tool.name, tool] as const))(
    '%s lists its own actions, and no other entity’s',
    (name, tool) => {
      const own = acceptedActions(tool);
      expect(own.length).toBeGreaterThan(0);
      const others = PROCESS_TOOLS.flatMap(acceptedActions).filter((a) => !own.includes(a));
      const { description, inputSchema } = definition(name);
      const action = JSON.stringify(properties(inputSchema).find(([key]) => key === 'action'));
      for (const text of [description, action]) {
        for (const accepted of own) expect(text).toMatch(new RegExp(`\\b${accepted}\\b`));
        for (const foreign of others) expect(text).not.toMatch(new RegExp(`\\b${foreign}\\b`));
      }
    },
  );

  it.each([
    // A PUT loses what it does not re-send (trap 4): each entity names its own keys.
    ['update_note', /tags, pinned, status/],
    ['update_task', /priority, dueDate, tags/],
    ['update_comment', /Re-send parentType and parentUid in additional_fields/],
    ['update_chat_message', /Re-send chatUid in additional_fields/],
    ['update_chat', /archived/],
    // Archive writes a different key per entity (B.6).
    ['archive_note', /payload\.status to "archived"/],
    ['archive_chat', /payload\.archived to true/],
    // The parent rule, only where the API checks one.
    ['create_comment', /parentType is "note" or "task"/],
    ['create_chat_message', /chatUid is the uid of a live \(not deleted\) chat/],
    ['delete_note', /comments are kept/],
    ['delete_chat', /messages are kept/],
    ['list_comments', /no parent filter/],
    // Soft delete and the create-upsert escape hatch (B.6).
    ['delete_task', /Soft-delete/],
    ['create_task', /uid in additional_fields/],
  ])('%s states its entity’s own facts', (name, pattern) => {
    expect(definition(name).description).toMatch(pattern);
  });

  it.each([
    ['create_note', /500|parent/],
    ['delete_comment', /are kept/],
    ['update_note', /Re-send/],
  ])('%s leaves out what does not apply to it', (name, pattern) => {
    expect(definition(name).description).not.toMatch(pattern);
  });
});
