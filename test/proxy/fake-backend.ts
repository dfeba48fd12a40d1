/**
 * A scripted ToolBridge API on an undici MockAgent: each expected request is declared in order
 * with its answer; every dispatched request is recorded (expected or not), and the check run
 * after each test fails on an unexpected request or an unused expectation.
 */
import { MockAgent, type Dispatcher } from 'undici';
import { expect } from 'vitest';
import { onCleanup } from '../helpers/loopback.ts';

export const ORIGIN = 'http://backend.test';

export interface Seen {
  readonly method: string;
  /** Path and query as sent. */
  readonly path: string;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

export interface Answer {
  readonly status: number;
  /** A string is sent verbatim; anything else as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Holds the answer back (MockScope.delay). */
  readonly delayMs?: number;
}

export interface FakeBackend {
  readonly dispatcher: Dispatcher;
  /** Every request the client dispatched, in order. */
  readonly seen: readonly Seen[];
  expect(method: string, path: string, answer: Answer | ((seen: Seen) => Answer)): void;
  /** Answers the next matching request with a network error. */
  expectError(method: string, path: string, error: Error): void;
  expectSession(path?: string, session?: Partial<SessionAnswer>): void;
}

export interface SessionAnswer {
  id: string;
  epoch: number;
  createdAt: string;
  expiresAt: string;
}

function headerRecord(raw: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (raw === null || typeof raw !== 'object') return headers;
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  return headers;
}

export const SESSION_PATH = '/v1/sync/sessions';

export function createFakeBackend(): FakeBackend {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const seen: Seen[] = [];
  let expected = 0;
  const dispatcher = agent.compose((dispatch) => (options, handler) => {
    seen.push({
      method: options.method,
      path: options.path,
      headers: headerRecord(options.headers),
      body: typeof options.body === 'string' ? options.body : undefined,
    });
    return dispatch(options, handler);
  });
  const pool = agent.get(ORIGIN);
  // MockAgent matches against the path with its query sorted; `seen` keeps the order as sent.
  const sorted = (path: string): string => {
    const at = path.indexOf('?');
    if (at === -1) return path;
    const query = new URLSearchParams(path.slice(at + 1));
    query.sort();
    return `${path.slice(0, at)}?${query.toString()}`;
  };
  const matchPath = (path: string) => (candidate: string) => candidate === sorted(path);

  const fake: FakeBackend = {
    dispatcher,
    seen,
    expect(method, path, answer) {
      expected += 1;
      const scope = pool.intercept({ method, path: matchPath(path) }).reply((request) => {
        const chosen =
          typeof answer === 'function'
            ? answer({
                method: request.method,
                path: request.path,
                headers: headerRecord(request.headers),
                body: typeof request.body === 'string' ? request.body : undefined,
              })
            : answer;
        const json = typeof chosen.body !== 'string' && chosen.body !== undefined;
        return {
          statusCode: chosen.status,
          data: typeof chosen.body === 'string' ? chosen.body : JSON.stringify(chosen.body ?? ''),
          responseOptions: {
            headers: {
              ...(json ? { 'content-type': 'application/json' } : {}),
              ...chosen.headers,
            },
          },
        };
      });
      const delayMs = typeof answer === 'function' ? undefined : answer.delayMs;
      if (delayMs !== undefined) scope.delay(delayMs);
    },
    expectError(method, path, error) {
      expected += 1;
      pool.intercept({ method, path: matchPath(path) }).replyWithError(error);
    },
    expectSession(path = SESSION_PATH, session = {}) {
      fake.expect('POST', path, {
        status: 201,
        body: {
          id: session.id ?? 'session-1',
          userId: 'user-uuid',
          createdAt: session.createdAt ?? '2025-11-20T00:00:00.01Z',
          expiresAt: session.expiresAt ?? '2025-11-20T00:30:00.01Z',
          epoch: session.epoch ?? 1,
        },
        headers: { 'x-correlation-id': 'session-correlation' },
      });
    },
  };

  onCleanup(async () => {
    try {
      agent.assertNoPendingInterceptors();
      expect(seen.length, 'requests the fake backend did not expect').toBe(expected);
    } finally {
      await agent.close();
    }
  });
  return fake;
}
