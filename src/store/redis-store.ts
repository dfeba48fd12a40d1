import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { RedisClient, RedisConnection } from './redis-connection.ts';
import { evalScript } from './redis-eval.ts';
import { COUNT, CREATE, DELETE, READ, SWEEP } from './redis-scripts.ts';
import { SessionRecord, StoredDetails, type SessionKind } from './session-record.ts';
import {
  announce,
  sweepIntervalMs,
  tombstoneMsOf,
  type SessionGone,
  type SessionStore,
  type StoreLimits,
} from './session-store.ts';
import { safeJson } from '../json.ts';

/**
 * The session store shared by replicas through Redis (key layout in redis-scripts.ts). Every
 * operation is one script call, one round trip; `touch`, on every request of a session, too.
 * Every replica subscribes to the `gone` channel, so each hears at once of sessions ended
 * anywhere, and each sweeps for expired ones now and then (a sweep that finds one tells all).
 */
export interface RedisStoreOptions extends StoreLimits {
  connection: RedisConnection;
  /** Key and channel prefix; keep a `{hash tag}` in it (default `tb:{sessions}:`). */
  prefix?: string;
}

export interface RedisSessionStore extends SessionStore {
  /** Settles once this replica hears the `gone` channel (it may wait for Redis to be up). */
  readonly subscribed: Promise<void>;
}

/** How long past its idle time a session's index entry outlives its record (see prune). */
const GRACE_MS = 1000;

const Created = z.union([z.tuple([z.literal('ok'), z.number()]), z.tuple([z.literal('taken')])]);
const Read = z.union([z.null(), z.tuple([z.enum(['streamable', 'sse']), z.string(), z.string()])]);
const Counts = z.tuple([z.number(), z.number()]);
const Gone = z.object({ id: z.string(), reason: z.enum(['deleted', 'evicted', 'expired']) });

export function createRedisSessionStore(options: RedisStoreOptions): RedisSessionStore {
  const { connection, idleMs, max, maxPerOwner, prefix = 'tb:{sessions}:' } = options;
  const common = [prefix, String(idleMs), String(GRACE_MS), String(tombstoneMsOf(options))];
  const recordKey = (id: string) => `${prefix}r:${id}`;
  const listeners = new Set<(gone: SessionGone) => void>();
  /** The timers of open holds, stopped by `close`. */
  const holds = new Set<NodeJS.Timeout>();

  const script = (
    client: RedisClient,
    source: string,
    keys: readonly string[],
    args: readonly string[],
  ) => evalScript(client, source, keys, [...common, ...args]);

  const read = async (id: string, owner: string, slide: boolean) => {
    const reply = await connection.run(slide ? 'touch' : 'get', async (client) =>
      Read.parse(await script(client, READ, [recordKey(id)], [id, owner, slide ? '1' : '0'])),
    );
    if (reply === null) return undefined;
    const [kind, details, lastUsed] = reply;
    const record: SessionRecord = {
      id,
      owner,
      kind,
      lastUsedAt: Number(lastUsed),
      ...StoredDetails.parse(JSON.parse(details)),
    };
    return record;
  };

  const sweep = (limit = 256) =>
    connection.run('sweep', async (client) =>
      z.number().parse(await script(client, SWEEP, [], [String(limit)])),
    );
  /** Sweeps until a batch comes back short, so a backlog (after an outage) clears in one tick. */
  const sweepAll = async () => {
    for (let batches = 0; batches < 40 && (await sweep()) === 256; batches += 1);
  };
  const timer = setInterval(() => {
    // A failed sweep is retried at the next tick; the connection reports the outage.
    sweepAll().catch(() => undefined);
  }, sweepIntervalMs(options));
  timer.unref();

  const channel = `${prefix}gone`;
  const hear = (message: string) => {
    const parsed = Gone.safeParse(safeJson(message));
    if (parsed.success) announce(listeners, parsed.data);
  };
  const subscribed = connection.subscriber.subscribe(channel, hear);
  // Awaited by whoever cares; an early close must not become an unhandled rejection.
  subscribed.catch(() => undefined);
  // The subscriber is ready again after a reconnect (the client renews the subscription): what
  // was published in between never reached this replica.
  const missed = new Set<() => void>();
  let connectedBefore = connection.subscriber.isReady;
  let closed = false;
  const reconnected = async () => {
    if (!connectedBefore) {
      connectedBefore = true;
      return;
    }
    // Listeners will ask about sessions: wait for the command connection, which comes back
    // on its own schedule.
    while (!closed && !(await connection.whenReady(5_000)));
    if (!closed) for (const listener of missed) listener();
  };
  const onReady = () => void reconnected();
  connection.subscriber.on('ready', onReady);

  return {
    kind: 'redis',
    subscribed,
    sweep: () => sweep(),

    async create(input) {
      const record = SessionRecord.parse(input);
      const { id, owner, kind, ...rest } = record;
      const details = JSON.stringify(StoredDetails.parse(rest));
      const reply = await connection.run('create', async (client) =>
        Created.parse(
          await script(
            client,
            CREATE,
            [recordKey(id)],
            [id, owner, kind, details, String(max), String(maxPerOwner)],
          ),
        ),
      );
      if (reply[0] === 'taken') {
        throw new AppError('SESSION_ID_TAKEN', 'session id is already in use or ended recently');
      }
      return { ...record, lastUsedAt: reply[1] };
    },

    get: (id, owner) => read(id, owner, false),
    touch: (id, owner) => read(id, owner, true),

    // Redis expires a record by itself, so a held session is touched well within its idle time.
    hold(id, owner) {
      const beat = () => {
        read(id, owner, true).then(
          (record) => {
            if (record === undefined) stop();
          },
          // A lost Redis is reported by the connection; the next beat tries again.
          () => undefined,
        );
      };
      const beating = setInterval(beat, Math.max(100, idleMs / 3));
      beating.unref();
      holds.add(beating);
      const stop = () => {
        clearInterval(beating);
        holds.delete(beating);
      };
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        stop();
        beat();
      };
    },

    async delete(id) {
      const ended = await connection.run('delete', async (client) =>
        z.number().parse(await script(client, DELETE, [recordKey(id)], [id])),
      );
      return ended === 1;
    },

    async count(kind?: SessionKind) {
      const [streamable, sse] = await connection.run('count', async (client) =>
        Counts.parse(await script(client, COUNT, [], [])),
      );
      return kind === 'streamable' ? streamable : kind === 'sse' ? sse : streamable + sse;
    },

    onGone(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    onMissedNews(listener) {
      missed.add(listener);
      return () => {
        missed.delete(listener);
      };
    },

    /** Leaves the connection open: it is the caller's, shared with the relay and health. */
    close() {
      clearInterval(timer);
      for (const beating of holds) clearInterval(beating);
      holds.clear();
      listeners.clear();
      missed.clear();
      closed = true;
      connection.subscriber.off('ready', onReady);
      // Not awaited: the subscriber queues commands while Redis is away, so with Redis down the
      // UNSUBSCRIBE would wait for ever and so would a stopping gateway (closing the connection,
      // its owner's part, ends it anyway).
      void connection.subscriber.unsubscribe(channel, hear).catch(() => undefined);
      return Promise.resolve();
    },
  };
}
