/**
 * Local turns per advisory key, FIFO. An advisory lock is re-entrant within a session, and a provider's
 * sessions are shared by its callers: so at most one acquisition per key of this provider talks to the
 * server at a time, and the others wait here, in arrival order. Keys, not names: two names whose keys
 * collide are one lock, and must not both be granted through one session.
 */
export class KeyTurns {
  private readonly lines = new Map<bigint, KeyLine>();

  /** Takes the key's turn now if nobody has it; true when taken. */
  tryEnter(key: bigint): boolean {
    if (this.lines.has(key)) return false;
    this.lines.set(key, { waiters: [] });
    return true;
  }

  /** Waits for the key's turn; rejects with `signal.reason` (and leaves the line) when `signal` aborts. */
  enter(key: bigint, signal: AbortSignal | undefined): Promise<void> {
    if (this.tryEnter(key)) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    const line = this.lines.get(key)!;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = line.waiters.indexOf(waiter);
          if (index >= 0) line.waiters.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
        waiter.signal = signal;
      }
      line.waiters.push(waiter);
    });
  }

  /** Gives the key's turn to the next waiter, or frees it. */
  leave(key: bigint): void {
    const line = this.lines.get(key);
    if (line === undefined) return;
    const next = line.waiters.shift();
    if (next === undefined) {
      this.lines.delete(key);
      return;
    }
    if (next.onAbort !== undefined) next.signal?.removeEventListener('abort', next.onAbort);
    next.resolve();
  }

  /** Local waiters of a key (not counting the turn's holder). */
  waiting(key: bigint): number {
    return this.lines.get(key)?.waiters.length ?? 0;
  }

  /** Rejects every local waiter (the provider closes). */
  rejectAll(reasonFor: (key: bigint) => unknown): void {
    for (const [key, line] of this.lines) {
      for (const waiter of line.waiters.splice(0)) {
        if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.reject(reasonFor(key));
      }
    }
  }
}

interface KeyLine {
  readonly waiters: Waiter[];
}

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  onAbort: (() => void) | undefined;
  signal?: AbortSignal;
}
