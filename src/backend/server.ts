import { createServer, type Server } from 'node:http';
import { createBackendHandler, type BackendOptions } from './handler.ts';

export interface RunningBackend {
  /** Base URL, e.g. http://127.0.0.1:8081 */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the embedded API on a real socket; `port: 0` picks a free one. */
export async function startBackend(options: BackendOptions): Promise<RunningBackend> {
  const server: Server = createServer(
    { keepAliveTimeout: 120_000, requestTimeout: 30_000 },
    createBackendHandler(options),
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    // Idempotent: a second close (e.g. a test's cleanup after a test stopped it) is harmless.
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      })),
  };
}
