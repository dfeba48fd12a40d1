import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createDrain } from '../../src/drain.ts';

describe('drain', () => {
  it('settles at once when nothing runs, and marks the drain', async () => {
    const drain = createDrain();
    expect(drain.draining).toBe(false);
    expect(await drain.settle(1000)).toBe(true);
    expect(drain.draining).toBe(true);
  });

  it('waits for tracked work and for begun requests', async () => {
    const drain = createDrain();
    const work = drain.track(() => sleep(50).then(() => 'done'));
    const end = drain.begin();
    expect(drain.inFlight).toBe(2);
    const settled = drain.settle(5000);
    setTimeout(end, 80);
    expect(await work).toBe('done');
    expect(await settled).toBe(true);
    expect(drain.inFlight).toBe(0);
  });

  it('counts a request read right after the stop: nothing running is judged a poll later', async () => {
    const drain = createDrain();
    // A request already on a socket when the stop comes is read, and begun, in the next poll.
    let end = (): void => undefined;
    setImmediate(() => {
      end = drain.begin();
    });
    let idle: boolean | undefined;
    const settled = drain.settle(5000).then((result) => (idle = result));
    await sleep(50);
    expect(idle).toBeUndefined();
    end();
    expect(await settled).toBe(true);
  });

  it('gives up at the timeout and says so', async () => {
    const drain = createDrain();
    const end = drain.begin();
    expect(await drain.settle(20)).toBe(false);
    end();
    end(); // ending twice counts once
    expect(drain.inFlight).toBe(0);
  });

  it('counts work that fails, and releases it', async () => {
    const drain = createDrain();
    await expect(drain.track(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(drain.inFlight).toBe(0);
  });
});
