import { describe, expect, it } from 'vitest';
import { createToolRuntime, type ToolDefinition } from '../../src/tools/index.ts';
import { BASE_URL, TOOLS, fakeUpstream, fixtureTool } from './helpers.ts';

function definitions(): readonly ToolDefinition[] {
  const { upstream } = fakeUpstream();
  return createToolRuntime({ upstream, goApiBaseUrl: BASE_URL }).definitions;
}

function definition(name: string): ToolDefinition {
  const found = definitions().find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no definition ${name}`);
  return found;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Our schema minus what we add to pydantic's: property descriptions, additionalProperties:false. */
function withoutAdditions(schema: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { additionalProperties, properties, ...rest } = schema;
  expect(additionalProperties).toBe(false);
  if (!isRecord(properties)) throw new Error('no properties');
  const stripped = Object.entries(properties).map(([name, property]) => {
    if (!isRecord(property)) throw new Error(`property ${name} is not an object`);
    const { description, ...others } = property;
    expect(description, `${name} has a description`).toEqual(expect.stringMatching(/\S/));
    return [name, others] as const;
  });
  return { ...rest, properties: Object.fromEntries(stripped) };
}

describe('tool definitions', () => {
  it('are the 41 tools of tools.json, in its order', () => {
    expect(definitions().map((tool) => tool.name)).toEqual(TOOLS.map((tool) => tool.name));
    expect(definitions()).toHaveLength(41);
  });

  it('are built once per runtime', () => {
    const { upstream } = fakeUpstream();
    const runtime = createToolRuntime({ upstream, goApiBaseUrl: BASE_URL });
    expect(runtime.definitions).toBe(runtime.definitions);
    expect(TOOLS.every((tool) => runtime.has(tool.name))).toBe(true);
  });

  describe.each(TOOLS.map((tool) => [tool.name, tool] as const))('%s', (name, tool) => {
    it('has the input schema of tools.json, plus descriptions and additionalProperties:false', () => {
      const { inputSchema } = definition(name);
      expect(withoutAdditions(inputSchema)).toEqual(tool.input_schema);
      // Same property order as the Python signature (positional callers, tools/list readers).
      const properties = inputSchema['properties'];
      expect(isRecord(properties) ? Object.keys(properties) : []).toEqual(
        tool.params.map((param) => param.name),
      );
    });

    it('has the output schema of tools.json', () => {
      expect(definition(name).outputSchema).toEqual(tool.response.output_schema);
    });

    it('has a description of its own', () => {
      const { description } = definition(name);
      expect(description.length).toBeGreaterThan(20);
      expect(description).not.toBe(tool.description);
    });
  });

  it.each(TOOLS.filter((tool) => tool.operation === 'update').map((tool) => tool.name))(
    '%s says a version mismatch is 412, not 409 (CONTRACT.md trap 3)',
    (name) => {
      expect(definition(name).description).toContain('412');
      expect(JSON.stringify(definition(name).inputSchema)).toContain('412');
    },
  );

  it('states the status values the server really writes (CONTRACT.md trap 5)', () => {
    expect(definition('process_task').description).toMatch(/complete → status = "completed"/);
    expect(definition('process_task').description).toMatch(/reopen → status = "open"/);
    expect(definition('process_chat').description).toMatch(/reopen → status = "active"/);
    expect(JSON.stringify(definition('create_comment').inputSchema)).toContain('\\"chat\\" too');
    expect(definition('update_comment').description).toMatch(/parentType and parentUid/);
    expect(definition('update_chat_message').description).toMatch(/chatUid/);
  });

  it('matches the fixture for a spot-checked tool', () => {
    expect(fixtureTool('health_check').input_schema).toEqual({ properties: {}, type: 'object' });
    expect(definition('health_check').inputSchema).toEqual({
      type: 'object',
      properties: {},
      additionalProperties: false,
    });
  });
});
