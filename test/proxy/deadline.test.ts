import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDeadlines } from '../../src/proxy/deadline.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a call deadline', () => {
  it('fires with "timeout" when its time is up, and not before', () => {
    const deadline = createDeadlines().start(1_000);
    vi.advanceTimersByTime(999);
    expect(deadline.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.outcome()).toBe('timeout');
  });

  it('fires with "cancelled" when the caller aborts, then or before', () => {
    const deadlines = createDeadlines();
    const caller = new AbortController();
    const deadline = deadlines.start(1_000, caller.signal);
    caller.abort();
    expect(deadline.outcome()).toBe('cancelled');

    expect(deadlines.start(1_000, caller.signal).outcome()).toBe('cancelled');
  });

  it('after dispose, neither its timer nor the caller fires it', () => {
    const caller = new AbortController();
    const deadline = createDeadlines().start(1_000, caller.signal);
    deadline.dispose();
    caller.abort();
    vi.advanceTimersByTime(2_000);
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.outcome()).toBeUndefined();
  });

  it('keeps the first outcome', () => {
    const caller = new AbortController();
    const deadline = createDeadlines().start(1_000, caller.signal);
    vi.advanceTimersByTime(1_000);
    caller.abort();
    expect(deadline.outcome()).toBe('timeout');
  });
});

describe('cutting every deadline (shutdown)', () => {
  it('fires the live ones with "shutdown" and leaves disposed ones alone', () => {
    const deadlines = createDeadlines();
    const [first, middle, last, done] = [0, 1, 2, 3].map(() => deadlines.start(1_000));
    // Unlinked from the head, the middle and the tail of the list in turn.
    done?.dispose();
    middle?.dispose();
    const onlyOne = createDeadlines();
    const alone = onlyOne.start(1_000);
    alone.dispose();

    deadlines.cutAll();
    onlyOne.cutAll();

    expect(first?.outcome()).toBe('shutdown');
    expect(last?.outcome()).toBe('shutdown');
    expect(first?.signal.reason).toBeInstanceOf(DOMException);
    expect(middle?.outcome()).toBeUndefined();
    expect(done?.outcome()).toBeUndefined();
    expect(alone.outcome()).toBeUndefined();
  });

  it('fires a deadline that disposes of itself while the cut is under way', () => {
    const deadlines = createDeadlines();
    const a = deadlines.start(1_000);
    const b = deadlines.start(1_000);
    // The exchange's abort handler runs synchronously and the call disposes at once.
    b.signal.addEventListener('abort', () => {
      b.dispose();
      a.dispose();
    });
    deadlines.cutAll();
    expect(b.outcome()).toBe('shutdown');
    expect(a.outcome()).toBe('shutdown');
  });

  it('fires every later deadline at once', () => {
    const deadlines = createDeadlines();
    deadlines.cutAll();
    const late = deadlines.start(1_000, new AbortController().signal);
    expect(late.signal.aborted).toBe(true);
    expect(late.outcome()).toBe('shutdown');
  });

  it('leaves the other clients of the process alone', () => {
    const mine = createDeadlines();
    const theirs = createDeadlines();
    const other = theirs.start(1_000);
    mine.cutAll();
    expect(other.outcome()).toBeUndefined();
  });
});
