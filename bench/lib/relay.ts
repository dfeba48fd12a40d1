/**
 * The reference hop for bench/gateway.ts: the least a Node HTTP proxy can do. It reads a request,
 * sends the same method, path, headers and body to the target over an undici Pool (through the
 * gateway's own exchange(), so both hops use one upstream client), and answers with the target's
 * status, Content-Type and body. No auth, no MCP, no signing, no logging.
 *
 * Measured beside the gateway in the same run, it splits the gateway's added latency into what
 * any extra Node process on the path costs on this machine (relay − direct) and what the
 * gateway's own work costs (gateway − relay).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { exchange } from '../../src/proxy/exchange.ts';
import { headerValue } from '../../src/proxy/reply.ts';
import type { HttpMethod } from '../../src/proxy/types.ts';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the framing. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

const METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const isMethod = (method: string | undefined): method is HttpMethod =>
  method !== undefined && METHODS.has(method);

export interface Relay {
  readonly url: string;
  close(): Promise<void>;
}

function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function answer(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Starts the relay on `host` (an ephemeral port) in front of `target` (an origin). */
export async function startRelay(target: string, host = '127.0.0.1'): Promise<Relay> {
  const pool = new Pool(target, { connections: 128, pipelining: 1 });
  const server = createServer((req, res) => {
    const method = req.method;
    if (!isMethod(method)) {
      answer(res, 405, 'text/plain', `relay: method ${method ?? '(none)'} is not relayed\n`);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
      // The client going away abandons the upstream request, as a proxy should.
      const gone = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      exchange(
        pool,
        { origin: target, path: req.url ?? '/', method, headers: forwardedHeaders(req), body },
        gone.signal,
      ).then(
        (reply) => {
          const type = headerValue(reply, 'content-type') ?? 'text/plain';
          answer(res, reply.status, type, reply.text);
        },
        (error: unknown) => {
          if (res.headersSent || gone.signal.aborted) return;
          const reason = error instanceof Error ? error.message : String(error);
          answer(res, 502, 'text/plain', `relay: the target did not answer (${reason})\n`);
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay: no TCP address');
  return {
    url: `http://${host}:${address.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
    },
  };
}
