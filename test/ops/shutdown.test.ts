import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { createServer } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { createBackendHandler } from '../../src/backend/index.ts';
import { startGatewayProcess } from '../helpers/gateway-process.ts';
import { listen, onCleanup } from '../helpers/loopback.ts';
import { STACK_JWT_SECRET, stackToken } from '../helpers/stack.ts';

const TENANT_SECRET = 'shutdown-tenant-secret';
const SLOW_MS = 1500;

/**
 * The embedded API, answering note listings only after SLOW_MS. `listingArrived` resolves when the
 * first note listing reaches it: from then on the call is in flight in the gateway.
 */
async function slowBackend(): Promise<{ url: string; listingArrived: Promise<undefined> }> {
  const handler = createBackendHandler({
    jwtSecret: STACK_JWT_SECRET,
    tenantHeaderSecret: TENANT_SECRET,
  });
  const arrived = Promise.withResolvers<undefined>();
  const url = await listen(
    createServer((req, res) => {
      const listing = req.method === 'GET' && req.url?.startsWith('/v1/notes') === true;
      if (listing) arrived.resolve(undefined);
      setTimeout(
        () => {
          handler(req, res);
        },
        listing ? SLOW_MS : 0,
      );
    }),
  );
  return { url, listingArrived: arrived.promise };
}

const TextContent = z.object({ type: z.literal('text'), text: z.string() });

/** The gateway as a process in front of `backendUrl`, draining for `shutdownSeconds`. */
const startGateway = (
  backendUrl: string,
  shutdownSeconds: string,
  env: Record<string, string> = {},
) =>
  startGatewayProcess({
    ...env,
    TOOLBRIDGE_GO_API_BASE_URL: backendUrl,
    TOOLBRIDGE_TENANT_HEADER_SECRET: TENANT_SECRET,
    TOOLBRIDGE_JWT_SECRET: STACK_JWT_SECRET,
    TOOLBRIDGE_TENANT_ID: 'shutdown-tenant',
    TOOLBRIDGE_HOST: '127.0.0.1',
    TOOLBRIDGE_PORT: '0',
    TOOLBRIDGE_SHUTDOWN_TIMEOUT_SECONDS: shutdownSeconds,
  });

async function clients(url: string) {
  const headers = { authorization: `Bearer ${await stackToken({ sub: 'drain-user' })}` };
  const http = new Client({ name: 'drain-http', version: '1.0.0' });
  await http.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }),
  );
  return { http, headers };
}

/**
 * A raw legacy SSE session: resolves `ended` when the server finishes the stream (a clean end, not
 * an error), and `post` sends a JSON-RPC message to the session's endpoint.
 */
async function rawSse(url: string, headers: Record<string, string>) {
  const response = await fetch(`${url}/sse`, { headers });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  while (!buffered.includes('\n\n')) buffered += (await reader.read()).value ?? '';
  const endpoint = /data: (\S+)/.exec(buffered)?.[1] ?? '';
  const ended = (async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) return 'clean end';
    }
  })();
  const post = (message: unknown) =>
    fetch(`${url}${endpoint}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(message),
    });
  return { ended, post };
}

describe('graceful shutdown on SIGTERM', () => {
  it('finishes the in-flight call, closes SSE streams, and exits 0', async () => {
    const backend = await slowBackend();
    const { child, url, lines } = await startGateway(backend.url, '7');
    const { http, headers } = await clients(url);
    const sse = await rawSse(url, headers);
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw-sse', version: '1' },
      },
    };
    expect((await sse.post(initialize)).status).toBe(202);

    const started = Date.now();
    const inFlight = http.callTool({ name: 'list_notes', arguments: {} });
    await backend.listingArrived;
    child.kill('SIGTERM');

    const result = await inFlight;
    expect(result.isError).toBe(false);
    expect(result.structuredContent).toEqual({ items: [], nextCursor: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_MS);

    expect(await sse.ended).toBe('clean end');
    await once(child, 'exit');
    expect(child.exitCode).toBe(0);
    const messages = lines.map((line) => /"msg":"([^"]*)"/.exec(line)?.[1]);
    expect(messages).toContain('shutting down: draining in-flight calls');
    expect(messages).toContain('stopped');
    expect(messages).not.toContain(
      'shutdown timeout reached with tool calls still running; they were cut',
    );
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('cuts calls still running when the timeout is reached, and says so', async () => {
    const backend = await slowBackend();
    const { child, url, lines } = await startGateway(backend.url, '0');
    const { http } = await clients(url);
    const inFlight = http.callTool({ name: 'list_notes', arguments: {} });
    await backend.listingArrived;
    child.kill('SIGTERM');
    // The cut call still gets an answer over its open response: a tool error naming the shutdown.
    const result = await inFlight;
    expect(result.isError).toBe(true);
    const [first] = z.array(TextContent).min(1).parse(result.content);
    expect(first?.text).toContain(
      'The gateway is shutting down; the ToolBridge API request was cut',
    );
    await once(child, 'exit');
    expect(child.exitCode).toBe(0);
    expect(lines.join('\n')).toContain(
      'shutdown timeout reached with tool calls still running; they were cut',
    );
  });

  it('with a shutdown delay, says 503 on /readyz alone while it serves as before, then drains', async () => {
    const backend = await slowBackend();
    const delaySeconds = 2;
    const { child, url, lines } = await startGateway(backend.url, '7', {
      TOOLBRIDGE_SHUTDOWN_DELAY_SECONDS: String(delaySeconds),
    });
    const { http } = await clients(url);
    const inFlight = http.callTool({ name: 'list_notes', arguments: {} });
    await backend.listingArrived;
    const exited = once(child, 'exit');
    const stopping = Date.now();
    child.kill('SIGTERM');
    await expect
      .poll(async () => (await fetch(`${url}/readyz`)).status, { timeout: 1_000 })
      .toBe(503);
    expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({
      status: 'not_ready',
      reasons: ['shutting down'],
    });
    // A balancer that has not polled yet still sends work here, and it is all served.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const late = await clients(url);
    const served = await late.http.callTool({
      name: 'create_note',
      arguments: { title: 'late', content: 'c' },
    });
    expect(served.isError).toBe(false);
    expect((await inFlight).isError).toBe(false);
    expect(Date.now() - stopping).toBeLessThan(delaySeconds * 1000);

    await exited;
    expect(child.exitCode).toBe(0);
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(delaySeconds * 1000);
    const messages = lines.map((line) => /"msg":"([^"]*)"/.exec(line)?.[1]);
    expect(messages).toEqual(
      expect.arrayContaining([
        'stopping: /readyz answers 503 before the drain',
        'shutting down: draining in-flight calls',
        'stopped',
      ]),
    );
    expect(messages.indexOf('stopping: /readyz answers 503 before the drain')).toBeLessThan(
      messages.indexOf('shutting down: draining in-flight calls'),
    );
  });

  it('exits within the drain timeout when a call is stuck in a TCP connect', async () => {
    const url = await unacceptingPort();
    const { child, url: gatewayUrl, lines } = await startGateway(url, '1');
    const { http } = await clients(gatewayUrl);
    const inFlight = http.callTool({ name: 'list_notes', arguments: {} });
    // The session POST's connect now waits in SYN retries (default connect timeout: 5 s).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopping = Date.now();
    child.kill('SIGTERM');
    const result = await inFlight;
    expect(result.isError).toBe(true);
    await once(child, 'exit');
    // Drain (1 s) plus a fraction; before, the process waited out the connect timeout.
    expect(Date.now() - stopping).toBeLessThan(3_000);
    expect(child.exitCode).toBe(0);
    expect(lines.join('\n')).toContain('"msg":"stopped"');
  });
});

/**
 * A loopback port whose listener never accepts and whose accept queue is full, so a new TCP
 * connect to it hangs in SYN retries, as to a host that has gone away. Python's socket with
 * listen(0), since Node accepts every connection itself.
 */
async function unacceptingPort(): Promise<string> {
  const child = spawn(
    'python3',
    [
      '-c',
      'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  onCleanup(() => {
    child.kill('SIGKILL');
    return Promise.resolve();
  });
  child.stdout.setEncoding('utf8');
  const [line] = z.tuple([z.string()]).parse(await once(child.stdout, 'data'));
  const port = Number(line.trim());
  // Fill the accept queue; these connections stay pending until the test ends.
  for (let i = 0; i < 3; i += 1) {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    onCleanup(() => {
      socket.destroy();
      return Promise.resolve();
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  return `http://127.0.0.1:${port}`;
}
