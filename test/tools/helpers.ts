import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { z } from 'zod';
import type {
  BackendIdentity,
  CallOptions,
  Upstream,
  UpstreamRequest,
} from '../../src/proxy/types.ts';
import {
  createToolRuntime,
  type ToolCallContext,
  type ToolRuntime,
} from '../../src/tools/index.ts';

/** tools.json (the contract's copy in test/fixtures), checked into the fields the tests use. */
const FixtureTool = z.object({
  name: z.string(),
  description: z.string(),
  operation: z.string(),
  params: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      required: z.boolean(),
      default: z.unknown().optional(),
      /** What the Go API accepts (process actions); null for most parameters. */
      constraints: z
        .object({ accepted_by_server: z.array(z.string()).optional() })
        .nullable()
        .optional(),
    }),
  ),
  http: z
    .object({
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
      path: z.string(),
      query: z.array(z.object({ param: z.string(), name: z.string(), when: z.string() })),
      body: z.object({ keys: z.array(z.string()) }).nullable(),
      if_match: z.string().nullable(),
    })
    .nullable(),
  input_schema: z.record(z.string(), z.unknown()),
  response: z.object({ output_schema: z.record(z.string(), z.unknown()) }),
});
export type FixtureTool = z.infer<typeof FixtureTool>;

const parseJson = (text: string): unknown => JSON.parse(text);

export const TOOLS: readonly FixtureTool[] = z
  .array(FixtureTool)
  .parse(parseJson(readFileSync(resolve(import.meta.dirname, '../fixtures/tools.json'), 'utf8')));

export const DATA_TOOLS = TOOLS.filter((tool) => tool.http !== null);

export function fixtureTool(name: string): FixtureTool {
  const tool = TOOLS.find((candidate) => candidate.name === name);
  if (tool === undefined) throw new Error(`no tool ${name} in tools.json`);
  return tool;
}

export const IDENTITY: BackendIdentity = {
  authorization: 'Bearer test-token',
  subject: 'user-1',
  tenantId: 'tenant-42',
};
export const CONTEXT: ToolCallContext = { identity: IDENTITY, tenantId: IDENTITY.tenantId };
export const BASE_URL = 'http://127.0.0.1:8081/api';
export const UID = '0b6c4a44-0d5e-4f43-9a37-1f2d3c4b5a69';

/** What the API answers for one item (deletedAt omitted, as Go does for live rows). */
export const API_ITEM = {
  uid: UID,
  version: 2,
  updatedAt: '2025-11-20T00:00:00.05Z',
  payload: { title: 'Hi', uid: UID, sync: { version: 2, isDeleted: false } },
};

export interface RecordedCall {
  readonly request: UpstreamRequest;
  readonly identity: BackendIdentity;
  readonly options: CallOptions | undefined;
}

/**
 * A fake upstream that records every request. Without `respond`, no call is expected: the test
 * fails at its end if one was made (the runtime would have turned the throw into a tool error).
 */
export function fakeUpstream(respond?: (request: UpstreamRequest) => unknown): {
  upstream: Upstream;
  calls: RecordedCall[];
} {
  const calls: RecordedCall[] = [];
  if (respond === undefined) {
    onTestFinished(() => {
      expect(calls, 'unexpected upstream calls').toEqual([]);
    });
  }
  const upstream: Upstream = {
    call: (request, identity, options) => {
      calls.push({ request, identity, options });
      if (respond === undefined) return Promise.reject(new Error('unexpected upstream call'));
      try {
        return Promise.resolve({ status: 200, body: respond(request) });
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    cut: () => undefined,
    close: () => Promise.resolve(),
  };
  return { upstream, calls };
}

/** A runtime whose upstream answers every request with `answer` (default: one item). */
export function runtimeAnswering(answer: (request: UpstreamRequest) => unknown = () => API_ITEM): {
  runtime: ToolRuntime;
  calls: RecordedCall[];
} {
  const { upstream, calls } = fakeUpstream(answer);
  return { runtime: createToolRuntime({ upstream, goApiBaseUrl: BASE_URL }), calls };
}

/** A runtime that must not reach the upstream at all. */
export function runtimeWithoutUpstream(): ToolRuntime {
  const { upstream } = fakeUpstream();
  return createToolRuntime({ upstream, goApiBaseUrl: BASE_URL });
}

/** The single request a call made. */
export function onlyRequest(calls: readonly RecordedCall[]): UpstreamRequest {
  expect(calls).toHaveLength(1);
  return calls[0]!.request;
}

/** Own keys of a request body, in order. */
export function bodyKeys(request: UpstreamRequest): string[] {
  const body = request.body;
  return typeof body === 'object' && body !== null ? Object.keys(body) : [];
}

export function bodyOf(request: UpstreamRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error('request has no object body');
  }
  return Object.fromEntries(Object.entries(body));
}

export function textOf(result: { content: { text: string }[] }): string {
  expect(result.content).toHaveLength(1);
  return result.content[0]!.text;
}
