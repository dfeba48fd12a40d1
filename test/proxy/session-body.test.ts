import { describe, expect, it } from 'vitest';
import { GO_SESSION_TTL_MS, readSession } from '../../src/proxy/session.ts';

const T = Date.parse('2025-11-20T00:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

describe('reading a session answer', () => {
  it.each([
    ['expiresAt as sent', { createdAt: iso(T), expiresAt: iso(T + 600_000) }, T, T + 600_000],
    [
      'Go RFC3339Nano',
      { createdAt: '2025-11-20T00:00:00.123456789Z', expiresAt: '2025-11-20T00:30:00.123456789Z' },
      T + 200,
      T + 123 + GO_SESSION_TTL_MS,
    ],
    ['createdAt + 30 min without expiresAt', { createdAt: iso(T) }, T, T + GO_SESSION_TTL_MS],
    [
      'createdAt + 30 min with a bad expiresAt',
      { createdAt: iso(T), expiresAt: 'soon' },
      T,
      T + GO_SESSION_TTL_MS,
    ],
    ['our clock + 30 min without either', {}, T, T + GO_SESSION_TTL_MS],
    // A backend clock 10 min ahead: its expiresAt would outlive the session on our clock.
    [
      'the lifetime on our clock when the backend runs ahead',
      { createdAt: iso(T + 600_000), expiresAt: iso(T + 600_000 + GO_SESSION_TTL_MS) },
      T,
      T + GO_SESSION_TTL_MS,
    ],
    [
      'expiresAt when the backend runs behind',
      { createdAt: iso(T - 600_000), expiresAt: iso(T - 600_000 + GO_SESSION_TTL_MS) },
      T,
      T - 600_000 + GO_SESSION_TTL_MS,
    ],
  ])('%s', (_name, times, sentAt, expiresAtMs) => {
    expect(readSession({ id: 's', epoch: 2, ...times }, sentAt)).toEqual({
      id: 's',
      epoch: 2,
      expiresAtMs,
    });
  });

  it.each([
    ['no id', { epoch: 1 }],
    ['empty id', { id: '', epoch: 1 }],
    ['numeric id', { id: 5, epoch: 1 }],
    ['no epoch', { id: 's' }],
    ['fractional epoch', { id: 's', epoch: 1.5 }],
    ['not an object', ['s', 1]],
    ['null', null],
  ])('refuses %s', (_name, body) => {
    expect(readSession(body, T)).toBeUndefined();
  });
});
