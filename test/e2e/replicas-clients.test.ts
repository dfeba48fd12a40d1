/**
 * Issue 17 with clients nobody here wrote: the SDK client of both lines (v1
 * `@modelcontextprotocol/sdk`, v2 `@modelcontextprotocol/client`), the Python `mcp` client and the
 * Inspector CLI each go through a whole session against three gateway processes behind HAProxy,
 * and the session's requests are shown to have been served by more than one replica: from the
 * X-TB-Replica of each answer (the SDK clients, through the fetch they are given) or from the
 * balancer's log (the clients run as processes). Then the per-principal session cap, which must
 * count a principal's sessions on every replica, not on each.
 */
import { resolve } from 'node:path';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Balancer, Served } from '../helpers/haproxy.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { listAt, startReplicaSet } from '../helpers/replica-set.ts';
import { stackToken } from '../helpers/stack.ts';
import { succeeded } from '../interop/inspector-cli.ts';
import { ensurePythonClients, MCP_VERSIONS, type PythonClient } from '../interop/python-setup.ts';
import { Note, TOOL_NAMES, ToolResult, runClient } from '../interop/stack.ts';
import { MCP_HEADERS, initializeBody, rawRequest } from './stack.ts';

const REPLICA_ID = /^[0-9a-f]{12}$/;
const PYTHON_SCRIPT = resolve(import.meta.dirname, '../interop/mcp_client.py');

let redis: RedisServer;
let pythons: readonly PythonClient[] = [];
beforeAll(async () => {
  [redis, pythons] = await Promise.all([startRedis(), ensurePythonClients()]);
}, 300_000);
afterAll(async () => {
  await redis.close();
});

/** One answer as a client saw it, or as the balancer logged it. */
type Answer = Pick<Served, 'method' | 'status' | 'replica'>;

/**
 * A session's answers came from replicas that named themselves, and its POSTs (at least
 * `posts`: the handshake, its notification and the calls) were served by two replicas or more.
 */
function expectSpread(answers: readonly Answer[], posts: number) {
  const sent = answers.filter(({ method }) => method === 'POST');
  expect(sent.length).toBeGreaterThanOrEqual(posts);
  for (const { status, replica } of answers) {
    expect([200, 202]).toContain(status);
    expect(replica).toMatch(REPLICA_ID);
  }
  expect(new Set(sent.map(({ replica }) => replica)).size).toBeGreaterThanOrEqual(2);
}

/**
 * The requests of the session a client process opened through the balancer after its first
 * `mark` log lines (the only one: one client runs at a time), once `complete` says the log has
 * them all.
 */
function sessionLogged(
  balancer: Balancer,
  mark: number,
  complete: (requests: readonly Served[]) => boolean,
) {
  return balancer.until((served) => {
    const id = served.slice(mark).find(({ session }) => session !== undefined)?.session;
    const requests = served.slice(mark).filter(({ session }) => session === id);
    return id !== undefined && complete(requests) ? requests : undefined;
  });
}

const structured = (result: unknown) => ToolResult.parse(result).structuredContent;
const Listed = z.object({ items: z.array(Note) });

interface SdkSession {
  tools(): Promise<string[]>;
  call(name: string, args: Record<string, unknown>): Promise<unknown>;
  /** DELETE, then close: the session is over. */
  end(): Promise<void>;
}

type Connect = (url: string, token: string, answers: Answer[]) => Promise<SdkSession>;

/** A fetch for a client transport that notes who answered each request. */
const recording =
  (answers: Answer[]) =>
  async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(url, init);
    const replica = response.headers.get('x-tb-replica') ?? undefined;
    answers.push({ method: init?.method ?? 'GET', status: response.status, replica });
    return response;
  };

const sdkLines: { line: string; connect: Connect }[] = [
  {
    line: 'v1 (@modelcontextprotocol/sdk)',
    async connect(url, token, answers) {
      const client = new ClientV1({ name: 'replicas-v1', version: '1.0.0' });
      const transport = new TransportV1(new URL(`${url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
        fetch: recording(answers),
      });
      await client.connect(transport);
      onCleanup(() => client.close().catch(() => undefined));
      return {
        tools: async () => (await client.listTools()).tools.map(({ name }) => name),
        call: (name, args) => client.callTool({ name, arguments: args }),
        async end() {
          await transport.terminateSession();
          await client.close();
        },
      };
    },
  },
  {
    line: 'v2 (@modelcontextprotocol/client)',
    async connect(url, token, answers) {
      // A 2025-era session (initialize), which is what the replicas share through Redis.
      const client = new ClientV2(
        { name: 'replicas-v2', version: '1.0.0' },
        { versionNegotiation: { mode: 'legacy' } },
      );
      const transport = new TransportV2(new URL(`${url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
        fetch: recording(answers),
      });
      await client.connect(transport);
      onCleanup(() => client.close().catch(() => undefined));
      return {
        tools: async () => (await client.listTools()).tools.map(({ name }) => name),
        call: (name, args) => client.callTool({ name, arguments: args }),
        async end() {
          await transport.terminateSession();
          await client.close();
        },
      };
    },
  },
];

// Four processes start per test, and the clients are processes too, on two shared cores.
describe('real clients through three replicas behind HAProxy', { timeout: 60_000 }, () => {
  it.each(sdkLines)(
    'the SDK $line: one session, its requests answered by several replicas',
    async ({ connect }) => {
      const { balancer } = await startReplicaSet({ redis });
      const answers: Answer[] = [];
      const session = await connect(balancer.url, await stackToken({ sub: 'sdk' }), answers);
      expect(await session.tools()).toEqual(TOOL_NAMES);
      const first = Note.parse(
        structured(await session.call('create_note', { title: 'one', content: 'first' })),
      );
      const second = Note.parse(
        structured(await session.call('create_note', { title: 'two', content: 'second' })),
      );
      expect(structured(await session.call('get_note', { uid: first.uid }))).toEqual(first);
      const { items } = Listed.parse(structured(await session.call('list_notes', {})));
      expect(items).toHaveLength(2);
      expect(items).toEqual(expect.arrayContaining([first, second]));
      await session.end();
      expect(answers.at(-1)).toMatchObject({ method: 'DELETE', status: 200 });
      // initialize, notifications/initialized, tools/list and four calls.
      expectSpread(answers, 7);
    },
  );

  const PythonOutput = z.object({
    tools: z.array(z.string()),
    calls: z.array(z.object({ is_error: z.boolean(), structured: z.unknown() })),
  });

  it.each(MCP_VERSIONS)(
    'the Python mcp %s client: one session, its requests served by several replicas',
    async (version) => {
      const python = pythons.find((client) => client.version === version)?.python ?? '';
      const { balancer } = await startReplicaSet({ redis });
      const token = await stackToken({ sub: `python-${version}` });
      const mark = balancer.served.length;
      const create = (title: string) => ['create_note', JSON.stringify({ title, content: title })];
      const run = await runClient(python, [
        PYTHON_SCRIPT,
        'streamable-http',
        balancer.url,
        token,
        ...create('one'),
        ...create('two'),
        ...['list_notes', '{}'],
      ]);
      expect(run.code, run.stderr).toBe(0);
      const { tools, calls } = PythonOutput.parse(JSON.parse(run.stdout));
      expect(tools).toEqual(TOOL_NAMES);
      expect(calls.map(({ is_error }) => is_error)).toEqual([false, false, false]);
      const created = calls.slice(0, 2).map(({ structured }) => Note.parse(structured));
      const { items } = Listed.parse(calls[2]?.structured);
      expect(items).toHaveLength(2);
      expect(items).toEqual(expect.arrayContaining(created));

      // The client ends its session with a DELETE, after everything else it sent.
      const requests = await sessionLogged(balancer, mark, (logged) =>
        logged.some(({ method }) => method === 'DELETE'),
      );
      // initialize, notifications/initialized, tools/list and three calls.
      expectSpread(requests, 6);
    },
  );

  it('the Inspector CLI: each run a session served by several replicas', async () => {
    const { balancer } = await startReplicaSet({ redis });
    const target = [
      `${balancer.url}/mcp`,
      '--transport',
      'http',
      '--header',
      `Authorization: Bearer ${await stackToken({ sub: 'inspector' })}`,
    ];
    /** One CLI run, and its session's requests from the balancer's log. */
    const session = async (args: readonly string[]) => {
      const mark = balancer.served.length;
      const result = await succeeded([...target, ...args]);
      // It sends no DELETE: initialize, notifications/initialized and the method are the least.
      const requests = await sessionLogged(
        balancer,
        mark,
        (logged) => logged.filter(({ method }) => method === 'POST').length >= 3,
      );
      expectSpread(requests, 3);
      return result;
    };

    const listed = z
      .object({ tools: z.array(z.object({ name: z.string() })) })
      .parse(await session(['--method', 'tools/list']));
    expect(listed.tools.map(({ name }) => name)).toEqual(TOOL_NAMES);
    const call = ['--method', 'tools/call', '--tool-name'];
    const note = Note.parse(
      structured(await session([...call, 'create_note', '--tool-arg', 'title=t', 'content=c'])),
    );
    const read = structured(await session([...call, 'get_note', '--tool-arg', `uid=${note.uid}`]));
    expect(read).toEqual(note);
  });
});

/** An initialize through the balancer: the new session's id and the replica that made it. */
async function openSession(balancer: string, token: string) {
  const answer = await rawRequest(`${balancer}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, Authorization: `Bearer ${token}` },
    body: initializeBody(),
  });
  expect(answer.status).toBe(200);
  return {
    id: answer.headers.get('mcp-session-id') ?? '',
    replica: answer.headers.get('x-tb-replica') ?? '',
  };
}

describe('TOOLBRIDGE_MAX_SESSIONS_PER_PRINCIPAL across replicas', { timeout: 60_000 }, () => {
  it("a principal's third session, on another replica, ends its oldest everywhere", async () => {
    const { balancer, replicas } = await startReplicaSet({
      redis,
      env: { TOOLBRIDGE_MAX_SESSIONS_PER_PRINCIPAL: '2' },
    });
    const carol = await stackToken({ sub: 'carol' });
    const dave = await stackToken({ sub: 'dave' });
    const daves = [await openSession(balancer.url, dave), await openSession(balancer.url, dave)];
    const carols = [];
    for (let i = 0; i < 3; i += 1) carols.push(await openSession(balancer.url, carol));
    // Round robin: each of carol's sessions was opened on a replica of its own, so no replica
    // alone saw more than one of them; only a count kept in Redis can find her over the cap.
    expect(new Set(carols.map(({ replica }) => replica)).size).toBe(3);
    expect(carols.every(({ replica }) => REPLICA_ID.test(replica))).toBe(true);

    const statusEverywhere = async (token: string, session: string) => {
      const statuses = [];
      for (const { url } of replicas) statuses.push((await listAt(url, token, session)).status);
      return statuses;
    };
    const [oldest, ...newest] = carols.map(({ id }) => id);
    expect(await statusEverywhere(carol, oldest ?? '')).toEqual([404, 404, 404]);
    for (const id of newest) expect(await statusEverywhere(carol, id)).toEqual([200, 200, 200]);
    for (const { id } of daves) expect(await statusEverywhere(dave, id)).toEqual([200, 200, 200]);
  });
});
