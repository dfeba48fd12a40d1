import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ErrorReply,
  TimeoutError,
  TimeoutReadError,
  createClient,
  type RedisClientType,
} from '@redis/client';
import { AppError } from '../errors.ts';
import { redisTarget } from './redis-target.ts';

/**
 * The Redis connections of one gateway: one for commands, one for pub/sub (a subscribed
 * connection can send nothing else). Built so that a lost Redis never hangs a request: while the
 * client reconnects in the background, commands are refused at once (no offline queue), and a
 * command already sent gives up after `commandTimeoutMs`. When Redis is back, the same objects
 * work again; nothing needs restarting.
 */
export interface RedisConnectionOptions {
  /** TOOLBRIDGE_REDIS_URL: redis:// or rediss://, a password in it allowed. */
  url: string;
  /** TOOLBRIDGE_REDIS_PASSWORD, when the URL carries none. */
  password?: string | undefined;
  /** Bound on one command, queued or in flight (default 1000 ms). */
  commandTimeoutMs?: number;
  /** Bound on one connection attempt (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Told about connection trouble at most once per 10 s, in words free of secrets. */
  onTrouble?: (message: string) => void;
  /** Each command's round trip, for the latency histogram. */
  observe?: (operation: string, seconds: number, ok: boolean) => void;
}

export type RedisClient = RedisClientType;

export interface RedisConnection {
  readonly client: RedisClient;
  readonly subscriber: RedisClient;
  /** `host:port` of TOOLBRIDGE_REDIS_URL; never the password. */
  readonly target: string;
  /** Runs one store operation, timed, with every failure turned into `STORE_UNAVAILABLE`. */
  run<T>(operation: string, command: (client: RedisClient) => Promise<T>): Promise<T>;
  /**
   * Settles when the command connection is ready, or after `timeoutMs` (false): a start-up may
   * wait a little for Redis, never indefinitely.
   */
  whenReady(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Back off from 100 ms to 2 s, with jitter so that replicas do not reconnect in step. */
export function reconnectDelay(retries: number): number {
  return Math.min(100 * 2 ** retries, 2000) + Math.floor(Math.random() * 100);
}

/** Why a command failed, in words that are safe to show (no address, no password). */
export function describeFailure(error: unknown, commandTimeoutMs: number): string {
  if (error instanceof ClientOfflineError) return 'is not connected (reconnecting)';
  if (error instanceof ClientClosedError) return 'connection is closed';
  if (error instanceof TimeoutError || error instanceof TimeoutReadError) {
    return `did not answer in time (${commandTimeoutMs} ms)`;
  }
  if (error instanceof ConnectionTimeoutError) return 'did not accept a connection in time';
  if (error instanceof ErrorReply) return 'answered with an error';
  return 'failed';
}

export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const { url, password, commandTimeoutMs = 1000, connectTimeoutMs = 2000 } = options;
  const target = redisTarget(url);
  const client: RedisClient = createClient({
    url,
    ...(password === undefined ? {} : { password }),
    // Refuse commands while reconnecting instead of queueing them for an unknown time.
    disableOfflineQueue: true,
    // Bounds a command whether it waits to be sent or waits for its reply.
    commandOptions: { timeout: commandTimeoutMs, rejectInFlight: true },
    // A connection that died without a FIN (a NAT or a Fly proxy dropping it) shows up here.
    pingInterval: 10_000,
    socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: reconnectDelay },
  });
  // Subscriptions are not on a request's path; their SUBSCRIBE may wait for the connection, and
  // the client renews them after each reconnect.
  const subscriber: RedisClient = client.duplicate({
    disableOfflineQueue: false,
    commandOptions: {},
  });

  let lastTrouble = -Infinity;
  const trouble = (role: string) => (error: unknown) => {
    const now = performance.now();
    if (now - lastTrouble < 10_000) return;
    lastTrouble = now;
    options.onTrouble?.(
      `Redis at ${target} (${role}) ${describeFailure(error, commandTimeoutMs)}; reconnecting`,
    );
  };
  // Without an 'error' listener the EventEmitter would throw and end the process.
  client.on('error', trouble('commands'));
  subscriber.on('error', trouble('subscriptions'));
  // Connect in the background: a start with Redis down must not wait for it.
  client.connect().catch(trouble('commands'));
  subscriber.connect().catch(trouble('subscriptions'));

  return {
    client,
    subscriber,
    target,
    async run(operation, command) {
      const started = performance.now();
      try {
        const result = await command(client);
        options.observe?.(operation, (performance.now() - started) / 1000, true);
        return result;
      } catch (error) {
        options.observe?.(operation, (performance.now() - started) / 1000, false);
        if (error instanceof AppError) throw error;
        throw new AppError(
          'STORE_UNAVAILABLE',
          `session store unavailable: Redis at ${target} ${describeFailure(error, commandTimeoutMs)}`,
          { cause: error, details: { operation } },
        );
      }
    },
    whenReady(timeoutMs) {
      if (client.isReady) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ready: boolean) => {
          clearTimeout(timer);
          client.off('ready', onReady);
          resolve(ready);
        };
        const onReady = () => {
          done(true);
        };
        const timer = setTimeout(done, timeoutMs, false);
        client.on('ready', onReady);
      });
    },
    async close() {
      // destroy, not close: pending commands must not keep the process waiting on a lost Redis.
      for (const connection of [client, subscriber]) {
        if (connection.isOpen) connection.destroy();
      }
      await Promise.resolve();
    },
  };
}
