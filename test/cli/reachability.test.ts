import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { listen, onCleanup } from '../helpers/loopback.ts';
import { TENANT_SECRET, config, doctor, leaks, token } from './helpers.ts';

/** Only the reachability check can run here, so the rest is reported as skipped. */
async function unreachable(baseUrl: string, options: Parameters<typeof doctor>[1] = {}) {
  const jwt = await token();
  const cfg = config({
    TOOLBRIDGE_GO_API_BASE_URL: baseUrl,
    TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
    TOOLBRIDGE_JWT_TOKEN: jwt,
  });
  const result = await doctor(cfg, options);
  expect(result.code).toBe(1);
  expect(result.lines).toContain(
    '– clock skew and session creation: skipped (the API is unreachable)',
  );
  expect(leaks(result.text, [jwt])).toEqual([]);
  return result.lines;
}

/** A loopback port that was just in use and is closed now. */
async function closedPort(): Promise<number> {
  const server = createHttpServer();
  const url = await listen(server);
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return Number(new URL(url).port);
}

describe('doctor when the API cannot be reached', () => {
  it('says the connection was refused, naming host:port', async () => {
    const port = await closedPort();
    const lines = await unreachable(`http://127.0.0.1:${port}`);
    expect(lines).toContain(
      `✘ backend reachable (127.0.0.1:${port}): connection to 127.0.0.1:${port} refused (ECONNREFUSED): nothing is listening there`,
    );
  });

  it('says the request timed out when the server accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => {
      sockets.add(socket);
    });
    const url = await listen(silent);
    // Registered after listen's close, so it runs first: close waits for open sockets.
    onCleanup(() => {
      for (const socket of sockets) socket.destroy();
      return Promise.resolve();
    });
    const lines = await unreachable(url, { timeoutMs: 200 });
    const hostPort = new URL(url).host;
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^✘ backend reachable \\(${hostPort}\\): no answer from ${hostPort} within 200 ms \\(timeout`,
        ),
      ),
    );
  });

  it('says the TLS handshake failed for https:// against a plain-HTTP port', async () => {
    const plain = createHttpServer((_request, response) => {
      response.end('ok');
    });
    const url = await listen(plain);
    const hostPort = new URL(url).host;
    const lines = await unreachable(url.replace('http://', 'https://'));
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^✘ backend reachable \\(${hostPort}\\): TLS handshake with ${hostPort} failed \\(`,
        ),
      ),
    );
  });

  it('says the DNS lookup failed, naming the host', async () => {
    // A resolver that knows no names: the failure a typo in the host name produces, offline.
    const dispatcher = new Agent({
      connect: {
        lookup: (hostname, _options, callback) => {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
            code: 'ENOTFOUND',
          });
          callback(error, '', 4);
        },
      },
    });
    onCleanup(() => dispatcher.destroy());
    const lines = await unreachable('https://api.example.invalid', { dispatcher });
    expect(lines).toContain(
      '✘ backend reachable (api.example.invalid:443): DNS lookup of api.example.invalid failed (ENOTFOUND)',
    );
  });
});
