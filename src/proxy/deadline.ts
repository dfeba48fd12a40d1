/** Why a call's signal fired: its own deadline passed, the caller gave up, or the gateway stops. */
export type DeadlineOutcome = 'timeout' | 'cancelled' | 'shutdown';

export interface Deadline {
  /** Aborts the in-flight upstream request when the deadline passes or the caller aborts. */
  readonly signal: AbortSignal;
  /** Set once the signal has fired. */
  outcome(): DeadlineOutcome | undefined;
  /** Clears the timer and the caller listener; call it in `finally`. */
  dispose(): void;
}

/** Every deadline of one upstream client, so that a shutdown can end them all at once. */
export interface Deadlines {
  /**
   * One deadline per call, covering session creation and the retry too. A plain timer that is
   * cleared on completion (rather than AbortSignal.timeout) so finished calls leave nothing
   * behind, and one listener on the caller's signal that is removed again.
   */
  start(timeoutMs: number, callerSignal?: AbortSignal): Deadline;
  /** Fires every live deadline, and every later one at once, with the outcome 'shutdown'. */
  cutAll(): void;
}

/** A live deadline's place in the list: linked through the entries, so no Map churns per call. */
interface Live {
  prev: Live | undefined;
  next: Live | undefined;
  fire(why: DeadlineOutcome): void;
}

export function createDeadlines(): Deadlines {
  let head: Live | undefined;
  let cut = false;

  const unlink = (entry: Live): void => {
    if (entry.prev === undefined) {
      if (head === entry) head = entry.next;
    } else entry.prev.next = entry.next;
    if (entry.next !== undefined) entry.next.prev = entry.prev;
    entry.prev = undefined;
    entry.next = undefined;
  };

  return {
    start(timeoutMs, callerSignal) {
      const controller = new AbortController();
      let outcome: DeadlineOutcome | undefined;
      const entry: Live = {
        prev: undefined,
        next: head,
        fire(why) {
          if (outcome !== undefined) return;
          outcome = why;
          controller.abort(new DOMException(`upstream call ${why}`, 'AbortError'));
        },
      };
      const onCallerAbort = (): void => {
        entry.fire('cancelled');
      };
      const timer = setTimeout(() => {
        entry.fire('timeout');
      }, timeoutMs);
      if (head !== undefined) head.prev = entry;
      head = entry;
      if (cut) entry.fire('shutdown');
      else if (callerSignal?.aborted === true) entry.fire('cancelled');
      else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
      return {
        signal: controller.signal,
        outcome: () => outcome,
        dispose() {
          clearTimeout(timer);
          callerSignal?.removeEventListener('abort', onCallerAbort);
          unlink(entry);
        },
      };
    },

    cutAll() {
      cut = true;
      // Firing aborts requests whose handlers dispose (unlink) later, not now: walk a snapshot.
      const live: Live[] = [];
      for (let entry = head; entry !== undefined; entry = entry.next) live.push(entry);
      for (const entry of live) entry.fire('shutdown');
    },
  };
}
