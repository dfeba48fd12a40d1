import type { PresentedIdentity, Upstream, UpstreamOptions } from '../../src/proxy/index.ts';
import { createUpstream } from '../../src/proxy/index.ts';
import { AppError } from '../../src/errors.ts';
import { onCleanup } from '../helpers/loopback.ts';
import { ORIGIN, type FakeBackend } from './fake-backend.ts';

export const TENANT_SECRET = 'unit-tenant-secret-0123456789abcdef';
export const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.dW5pdC1zaWduYXR1cmU';

export const identity: PresentedIdentity = {
  authorization: `Bearer ${TOKEN}`,
  subject: 'user-1',
  tenantId: 'test-tenant-123',
};

/** The fake sessions' createdAt (see fake-backend.ts). */
export const T0 = Date.parse('2025-11-20T00:00:00.010Z');

export interface Clock {
  now(): number;
  advance(ms: number): void;
}

/** A frozen clock; with `tick`, every reading moves it on by that many ms. */
export function createClock(start = T0, tick = 0): Clock {
  let time = start;
  return {
    now() {
      const reading = time;
      time += tick;
      return reading;
    },
    advance(ms) {
      time += ms;
    },
  };
}

export function unitUpstream(
  fake: FakeBackend,
  clock: Clock = createClock(),
  options: Partial<UpstreamOptions> = {},
): Upstream {
  const upstream = createUpstream({
    baseUrl: ORIGIN,
    tenantHeaderSecret: TENANT_SECRET,
    dispatcher: fake.dispatcher,
    now: () => clock.now(),
    ...options,
  });
  onCleanup(() => upstream.close());
  return upstream;
}

/** The AppError a promise rejects with (fails the test if it resolves or throws anything else). */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Messages reach MCP clients: never the bearer token or the tenant secret. */
export function expectNoSecrets(error: AppError, ...extra: string[]): void {
  for (const secret of [TOKEN, TENANT_SECRET, ...extra]) {
    // Named by where it leaked, never by value: a failing test must not print the secret.
    if (error.message.includes(secret)) throw new Error('the message leaks a secret');
    for (const [key, value] of Object.entries(error.details)) {
      if (typeof value === 'string' && value.includes(secret)) {
        throw new Error(`details.${key} leaks a secret`);
      }
    }
  }
}
