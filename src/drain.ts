/**
 * In-flight work and the drain on shutdown. The Python service cut in-flight calls on every Fly
 * auto-stop (CONTRACT.md E.6); here a stop first waits, up to a timeout, for running tool calls
 * (an SSE call's HTTP request ended long before its result) and for HTTP requests still being
 * answered (a call's response is written after its handler returns).
 */
export function createDrain() {
  let inFlight = 0;
  let draining = false;
  const waiters = new Set<() => void>();

  return {
    get draining(): boolean {
      return draining;
    },
    get inFlight(): number {
      return inFlight;
    },

    /** Turns readiness to 503 ahead of the drain; everything else is served as before. */
    announce(): void {
      draining = true;
    },

    /** Counts one piece of work until the returned function is called (once). */
    begin(): () => void {
      inFlight += 1;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        inFlight -= 1;
        if (inFlight === 0) for (const wake of waiters) wake();
      };
    },

    async track<T>(work: () => Promise<T>): Promise<T> {
      const end = this.begin();
      try {
        return await work();
      } finally {
        end();
      }
    },

    /**
     * Marks the drain (readiness turns 503) and resolves true once nothing runs, false on timeout.
     * Nothing running is judged only after the event loop has read what already arrived: a request
     * sent just before the stop, on a connection the server then drops (http/server.ts), is read
     * and begun there, and counts.
     */
    async settle(timeoutMs: number): Promise<boolean> {
      draining = true;
      await new Promise<void>((resolve) => {
        afterNextPoll(resolve);
      });
      if (inFlight === 0) return true;
      return new Promise<boolean>((resolve) => {
        const done = (idle: boolean) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(idle);
        };
        const wake = () => {
          done(true);
        };
        const timer = setTimeout(() => {
          done(false);
        }, timeoutMs);
        waiters.add(wake);
      });
    },
  };
}

export type Drain = ReturnType<typeof createDrain>;

/**
 * Runs `task` once the event loop has polled for I/O again, so that data already on a socket has
 * been read: an immediate queued from an immediate runs in the next loop iteration's check phase,
 * which follows its poll phase.
 */
export function afterNextPoll(task: () => void): void {
  setImmediate(() => {
    setImmediate(task);
  });
}
