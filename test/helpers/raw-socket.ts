/**
 * A raw TCP client for what HTTP clients will not do: send a request a few bytes at a time, or
 * several requests on one connection by hand. Destroyed after the test.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { onCleanup } from './loopback.ts';

export interface RawConnection {
  /** Everything the server sent so far, as latin1 text. */
  received(): string;
  /** Resolves with the milliseconds from connecting to the server closing the connection. */
  readonly closed: Promise<number>;
  readonly isClosed: () => boolean;
  write(text: string): void;
  /** Hangs up. */
  destroy(): void;
  /** Writes `chunk` every `everyMs` until the connection closes or `stop()` is called. */
  trickle(chunk: string, everyMs: number): { stop(): void };
  /** Resolves once the server has sent text matching `pattern` (rejects if it closes first). */
  waitFor(pattern: RegExp): Promise<string>;
}

export async function openRaw(origin: string): Promise<RawConnection> {
  const { hostname, port } = new URL(origin);
  const socket = connect(Number(port), hostname);
  onCleanup(() => {
    socket.destroy();
    return Promise.resolve();
  });
  // A reset from the server is one way of closing; the test looks at `closed`, not at errors.
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const opened = performance.now();
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  const closed = new Promise<number>((resolve) => {
    socket.once('close', () => {
      resolve(performance.now() - opened);
    });
  });
  return {
    received: () => text,
    closed,
    isClosed: () => socket.destroyed,
    write(chunk) {
      if (!socket.destroyed) socket.write(chunk, 'latin1');
    },
    destroy() {
      socket.destroy();
    },
    trickle(chunk, everyMs) {
      const timer = setInterval(() => {
        if (socket.destroyed) clearInterval(timer);
        else socket.write(chunk);
      }, everyMs);
      socket.once('close', () => {
        clearInterval(timer);
      });
      return {
        stop: () => {
          clearInterval(timer);
        },
      };
    },
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = pattern.exec(text);
          if (match === null) return false;
          socket.off('data', check);
          socket.off('close', gone);
          resolve(match[0]);
          return true;
        };
        const gone = () => {
          socket.off('data', check);
          reject(new Error(`closed before ${String(pattern)}; received ${JSON.stringify(text)}`));
        };
        if (check()) return;
        if (socket.destroyed) {
          gone();
          return;
        }
        socket.on('data', check);
        socket.once('close', gone);
      });
    },
  };
}
