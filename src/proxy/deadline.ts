/** Why a call's signal fired: its own deadline passed, or the caller gave up. */
export type DeadlineOutcome = 'timeout' | 'cancelled';

export interface Deadline {
  /** Aborts the in-flight upstream request when the deadline passes or the caller aborts. */
  readonly signal: AbortSignal;
  /** Set once the signal has fired. */
  outcome(): DeadlineOutcome | undefined;
  /** Clears the timer and the caller listener; call it in `finally`. */
  dispose(): void;
}

/**
 * One deadline per call, covering session creation and the retry too. A plain timer that is
 * cleared on completion (rather than AbortSignal.timeout) so finished calls leave nothing behind,
 * and one listener on the caller's signal that is removed again.
 */
export function startDeadline(timeoutMs: number, callerSignal?: AbortSignal): Deadline {
  const controller = new AbortController();
  let outcome: DeadlineOutcome | undefined;
  const fire = (why: DeadlineOutcome): void => {
    if (outcome !== undefined) return;
    outcome = why;
    controller.abort(new DOMException(`upstream call ${why}`, 'AbortError'));
  };
  const onCallerAbort = (): void => {
    fire('cancelled');
  };
  const timer = setTimeout(() => {
    fire('timeout');
  }, timeoutMs);
  if (callerSignal?.aborted === true) fire('cancelled');
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    outcome: () => outcome,
    dispose() {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}
