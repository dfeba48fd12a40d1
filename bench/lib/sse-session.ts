/**
 * A legacy HTTP+SSE session opened as mcp-remote opens one (CONTRACT.md C.2): `GET /sse` on a
 * socket of its own, the `endpoint` event, `POST` initialize there (202), its answer as a
 * `message` event on the stream, then `POST` notifications/initialized. The stream stays open
 * until the caller lets the session go, as a connected client's does.
 */
import { request, type ClientRequest } from 'node:http';
import { send, type ClientHello, type Endpoint } from './mcp.ts';

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Splits the complete events off the front of `buffer` (text/event-stream: blocks ended by a
 * blank line; `event:` names one, `data:` lines join with newlines; `:` lines are comments).
 * A block without data, such as a keep-alive comment, is no event. `rest` waits for more text.
 */
export function readEvents(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

const WAIT_MS = 15_000;

/** The stream of one `GET /sse`: events wait in a queue until `next` takes them. */
function openStream(origin: string, authorization: string) {
  const queue: SseEvent[] = [];
  const waiters = new Set<{ match: (event: SseEvent) => boolean; take: (e: SseEvent) => void }>();
  let failure: Error | undefined;
  const failed = new Set<(error: Error) => void>();
  const fail = (error: Error) => {
    failure ??= error;
    for (const reject of failed) reject(failure);
  };

  // A socket of its own (no agent): the stream holds its connection for as long as it lasts.
  const get: ClientRequest = request(`${origin}/sse`, {
    agent: false,
    headers: { authorization, accept: 'text/event-stream' },
  });
  get.on('error', fail);
  get.on('response', (res) => {
    res.setEncoding('utf8');
    if (res.statusCode !== 200) {
      let body = '';
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => fail(new Error(`GET /sse answered ${res.statusCode}: ${body}`)));
      return;
    }
    let buffer = '';
    res.on('data', (chunk: string) => {
      const { events, rest } = readEvents(buffer + chunk);
      buffer = rest;
      for (const event of events) {
        const waiter = [...waiters].find((candidate) => candidate.match(event));
        if (waiter === undefined) queue.push(event);
        else {
          waiters.delete(waiter);
          waiter.take(event);
        }
      }
    });
    res.on('close', () => fail(new Error('the SSE stream closed')));
  });
  get.end();

  return {
    /** The first event (queued or to come) that matches. */
    next(match: (event: SseEvent) => boolean): Promise<SseEvent> {
      const queued = queue.find(match);
      if (queued !== undefined) {
        queue.splice(queue.indexOf(queued), 1);
        return Promise.resolve(queued);
      }
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise<SseEvent>((resolve, reject) => {
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching SSE event within ${WAIT_MS} ms`));
        }, WAIT_MS);
        const waiter = {
          match,
          take: (event: SseEvent) => {
            done();
            resolve(event);
          },
        };
        const onFail = (error: Error) => {
          done();
          reject(error);
        };
        const done = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
          failed.delete(onFail);
        };
        waiters.add(waiter);
        failed.add(onFail);
      });
    },
    /** Events nobody waits for are dropped from now on (an idle session's stream). */
    quiet(): void {
      queue.length = 0;
      waiters.clear();
    },
    close(): void {
      get.destroy();
    },
  };
}

/** Opens a legacy SSE session and leaves it idle; the function returned closes its stream. */
export async function openSseSession(
  to: Endpoint,
  authorization: string,
  client: ClientHello,
): Promise<() => void> {
  const stream = openStream(to.origin, authorization);
  try {
    const path = (await stream.next((event) => event.event === 'endpoint')).data;
    const headers = { authorization, 'content-type': 'application/json' };
    const post = async (message: Record<string, unknown>) => {
      const reply = await send(to, 'POST', path, headers, JSON.stringify(message));
      if (reply.status !== 202) {
        throw new Error(`POST ${path} answered ${reply.status}: ${reply.text.slice(0, 300)}`);
      }
    };
    const answered = stream.next(
      (event) => event.event === 'message' && /"id":0[,}]/.test(event.data),
    );
    // Awaited below, unless the POST fails first.
    answered.catch(() => undefined);
    await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: client });
    const answer = await answered;
    if (!answer.data.includes('"result"')) {
      throw new Error(`initialize over SSE failed: ${answer.data.slice(0, 300)}`);
    }
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    stream.quiet();
    return () => {
      stream.close();
    };
  } catch (error) {
    stream.close();
    throw error;
  }
}
