/**
 * What one MCP session costs in Redis (issue 17 asks): starts a throw-away redis-server on
 * loopback, stores sessions with a typical record, and reports MEMORY USAGE of each key kind
 * plus the server's used_memory growth per session. Prints figures; asserts nothing.
 * Run: node bench/redis-session-bytes.ts [sessions, default 10000] [sessions per principal, 5]
 */
import { randomUUID } from 'node:crypto';
import { createRedisConnection } from '../src/store/redis-connection.ts';
import { createRedisSessionStore } from '../src/store/redis-store.ts';
import type { SessionRecord } from '../src/store/session-record.ts';
import { startRedis } from '../test/helpers/redis.ts';

const SESSIONS = Number(process.argv[2] ?? '10000');
const PER_OWNER = Number(process.argv[3] ?? '5');
const PREFIX = 'tb:{sessions}:';

/** What mcp-remote in front of Claude Desktop sends at initialize, more or less. */
function typical(index: number): SessionRecord {
  return {
    id: randomUUID(),
    owner: `staging-tenant-001\u0000auth0|${String(Math.floor(index / PER_OWNER)).padStart(24, '0')}`,
    kind: 'streamable',
    protocolVersion: '2025-06-18',
    clientInfo: { name: 'mcp-remote-fallback-test', version: '0.1.29' },
    capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} },
    createdAt: Date.now(),
    lastUsedAt: 0,
  };
}

const server = await startRedis();
const connection = createRedisConnection({ url: server.url, commandTimeoutMs: 5000 });
try {
  await connection.whenReady(5000);
  const { client } = connection;
  const usedMemory = async () =>
    Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1] ?? 'NaN');
  const store = createRedisSessionStore({
    connection,
    idleMs: 1_800_000,
    max: SESSIONS + 1,
    maxPerOwner: PER_OWNER,
    prefix: PREFIX,
  });
  const before = await usedMemory();
  const records: SessionRecord[] = [];
  for (let i = 0; i < SESSIONS; i += 1) records.push(await store.create(typical(i)));
  const after = await usedMemory();
  const first = records[0];
  if (first === undefined) throw new Error('no sessions');
  const usage = async (key: string) => (await client.memoryUsage(key, { SAMPLES: 0 })) ?? 0;
  const owner = `${PREFIX}o:${await client.sendCommand(['EVAL', 'return redis.sha1hex(ARGV[1])', '0', first.owner]).then(String)}`;
  const rows: [string, number][] = [
    ['record hash r:<id> (one per session)', await usage(`${PREFIX}r:${first.id}`)],
    [
      `k:streamable zset, per member (${SESSIONS})`,
      (await usage(`${PREFIX}k:streamable`)) / SESSIONS,
    ],
    [`o:<owner> zset, per member (${PER_OWNER} per owner)`, (await usage(owner)) / PER_OWNER],
    ['used_memory growth per session (all of it)', (after - before) / SESSIONS],
  ];
  await store.delete(first.id);
  rows.push([
    'tombstone g:<id> after a session ends (24 h)',
    await usage(`${PREFIX}g:${first.id}`),
  ]);
  process.stdout.write(
    `Redis bytes per MCP session (${SESSIONS} sessions, ${PER_OWNER} per principal)\n`,
  );
  for (const [what, bytes] of rows) {
    process.stdout.write(`  ${what.padEnd(50)} ${Math.round(bytes).toString().padStart(6)} B\n`);
  }
  await store.close();
} finally {
  await connection.close();
  await server.close();
}
