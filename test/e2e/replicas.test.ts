import { once } from 'node:events';
import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/loopback.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { listAt, startReplicaSet } from '../helpers/replica-set.ts';
import { stackToken } from '../helpers/stack.ts';
import { callTool, structuredOf } from './stack.ts';

/**
 * Issue 17, as Fly runs it: three gateway processes with one configuration and one Redis, behind
 * a round-robin balancer that sends each request wherever it likes. A 2025-era session must not
 * care which replica serves it.
 */

const REDIS_PASSWORD = 'replicas-redis-SENTINEL-pw';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis({ password: REDIS_PASSWORD });
});
afterAll(async () => {
  await redis.close();
});

const startReplicas = () =>
  startReplicaSet({ redis: { port: redis.port, password: REDIS_PASSWORD } });

/** An SDK client through the balancer that notes which replica answered each request. */
async function connectThrough(balancer: string, token: string) {
  const servedBy: string[] = [];
  let handshakes = 0;
  const client = new Client(
    { name: 'replicas', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${balancer}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      if (init?.method === 'POST') servedBy.push(response.headers.get('x-tb-replica') ?? '');
      if (typeof init?.body === 'string' && init.body.includes('"initialize"')) handshakes += 1;
      return response;
    },
  });
  await client.connect(transport);
  onCleanup(() => client.close().catch(() => undefined));
  return { client, transport, servedBy, handshakes: () => handshakes };
}

describe('three gateway processes sharing Redis behind a round-robin balancer', () => {
  it('serve one session on any replica, end it everywhere, and keep it from anyone else', async () => {
    const { replicas, balancer } = await startReplicas();
    const alice = await stackToken({ sub: 'alice' });
    const { client, transport, servedBy } = await connectThrough(balancer.url, alice);
    const session = transport.sessionId ?? '';
    expect(session).not.toBe('');
    for (let i = 0; i < 6; i += 1) {
      expect(structuredOf(await callTool(client, 'list_notes', {}))).toHaveProperty('items');
    }
    expect(servedBy.every((id) => /^[0-9a-f]{12}$/.test(id))).toBe(true);
    expect(new Set(servedBy).size).toBeGreaterThanOrEqual(2);

    // Another principal holding the id finds nothing, on every replica.
    const mallory = await stackToken({ sub: 'mallory' });
    for (const { url } of replicas) expect((await listAt(url, mallory, session)).status).toBe(404);

    await transport.terminateSession();
    for (const { url } of replicas) expect((await listAt(url, alice, session)).status).toBe(404);
    for (const { lines } of replicas) expect(lines.join('\n')).not.toContain('SENTINEL');
  });

  it('a replica killed mid-session: the next request succeeds on another, no new handshake', async () => {
    const { replicas, balancer } = await startReplicas();
    const token = await stackToken({ sub: 'bob' });
    const { client, transport, servedBy, handshakes } = await connectThrough(balancer.url, token);
    const session = transport.sessionId;
    await callTool(client, 'list_notes', {});
    // The replica that served the last call, so it holds the session's live part.
    const last = servedBy.at(-1) ?? '';
    const victim = replicas.find(({ lines }) => lines.some((line) => line.includes(`"${last}"`)));
    if (victim === undefined) throw new Error(`no replica logged the id ${last}`);
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');
    const before = servedBy.length;
    for (let i = 0; i < 4; i += 1) {
      expect(structuredOf(await callTool(client, 'list_notes', {}))).toHaveProperty('items');
    }
    const after = servedBy.slice(before);
    expect(after.length).toBeGreaterThanOrEqual(4);
    expect(after).not.toContain(last);
    expect(after.every((id) => /^[0-9a-f]{12}$/.test(id))).toBe(true);
    expect(transport.sessionId).toBe(session);
    expect(handshakes()).toBe(1);
  });

  it('a legacy SSE session: its stream stays on one replica, its POSTs land anywhere', async () => {
    const { balancer } = await startReplicas();
    const token = await stackToken({ sub: 'sse-user' });
    const headers = { Authorization: `Bearer ${token}` };
    let streamReplica = '';
    const posts: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the legacy transport is the subject
    const transport = new SSEClientTransport(new URL(`${balancer.url}/sse`), {
      requestInit: { headers },
      eventSourceInit: {
        fetch: async (url, init) => {
          const response = await fetch(url, { ...init, headers: { ...init.headers, ...headers } });
          streamReplica = response.headers.get('x-tb-replica') ?? '';
          return response;
        },
      },
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        posts.push(`${response.status} ${response.headers.get('x-tb-replica') ?? ''}`);
        return response;
      },
    });
    const client = new Client({ name: 'replicas-sse', version: '1.0.0' });
    await client.connect(transport);
    onCleanup(() => client.close().catch(() => undefined));

    const note = structuredOf(
      await callTool(client, 'create_note', { title: 'one stream', content: 'many replicas' }),
    );
    const uid = String(note['uid']);
    for (let i = 0; i < 3; i += 1) {
      expect(structuredOf(await callTool(client, 'get_note', { uid }))).toMatchObject({ uid });
    }
    // Every POST was accepted, and some by replicas that do not hold the stream: those were
    // relayed, and their answers still came on the one stream.
    expect(streamReplica).not.toBe('');
    expect(posts.length).toBeGreaterThanOrEqual(6);
    expect(posts.every((line) => line.startsWith('202 '))).toBe(true);
    const postReplicas = new Set(posts.map((line) => line.slice(4)));
    expect(postReplicas.size).toBeGreaterThanOrEqual(2);
    expect([...postReplicas].some((replica) => replica !== streamReplica)).toBe(true);
  });
});
