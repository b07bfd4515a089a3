import type { LockMode } from '@lock/core';

/**
 * Local turns per advisory key, FIFO across modes. An advisory lock is re-entrant within a session, and a
 * provider's sessions are shared by its callers: so a provider's callers are put in order here, before the
 * server sees them. An exclusive turn is alone; shared turns are held together, as long as no exclusive turn
 * waits ahead of them (a waiting writer holds back later readers). Keys, not names: two names whose keys
 * collide are one lock, and must not both be granted through one session.
 */
export class KeyTurns {
  private readonly lines = new Map<bigint, KeyLine>();

  /** Takes a turn now if the key's holders and waiters allow it; true when taken. */
  tryEnter(key: bigint, mode: LockMode): boolean {
    const line = this.lines.get(key);
    if (line === undefined) {
      this.lines.set(key, {
        shared: mode === 'shared' ? 1 : 0,
        exclusive: mode === 'exclusive',
        waiters: [],
      });
      return true;
    }
    if (line.waiters.length > 0 || !admits(line, mode)) return false;
    take(line, mode);
    return true;
  }

  /** Waits for a turn; rejects with `signal.reason` (and leaves the line) when `signal` aborts. */
  enter(key: bigint, mode: LockMode, signal: AbortSignal | undefined): Promise<void> {
    if (this.tryEnter(key, mode)) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    const line = this.lines.get(key)!;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { mode, resolve, reject, onAbort: undefined, signal };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = line.waiters.indexOf(waiter);
          if (index >= 0) line.waiters.splice(index, 1);
          reject(signal.reason);
          // A writer that gives up must not go on holding back the readers queued behind it.
          this.wake(key, line);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      line.waiters.push(waiter);
    });
  }

  /** Gives a turn back and lets in whoever may enter now, in order. */
  leave(key: bigint, mode: LockMode): void {
    const line = this.lines.get(key);
    if (line === undefined) return;
    if (mode === 'exclusive') line.exclusive = false;
    else line.shared = Math.max(0, line.shared - 1);
    this.wake(key, line);
  }

  /** Local waiters of a key (not counting the turns' holders). */
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

  private wake(key: bigint, line: KeyLine): void {
    for (;;) {
      const next = line.waiters[0];
      if (next === undefined || !admits(line, next.mode)) break;
      line.waiters.shift();
      take(line, next.mode);
      if (next.onAbort !== undefined) next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
    }
    if (line.shared === 0 && !line.exclusive && line.waiters.length === 0) this.lines.delete(key);
  }
}

function admits(line: KeyLine, mode: LockMode): boolean {
  return mode === 'exclusive' ? !line.exclusive && line.shared === 0 : !line.exclusive;
}

function take(line: KeyLine, mode: LockMode): void {
  if (mode === 'exclusive') line.exclusive = true;
  else line.shared += 1;
}

interface KeyLine {
  shared: number;
  exclusive: boolean;
  readonly waiters: Waiter[];
}

interface Waiter {
  readonly mode: LockMode;
  resolve(): void;
  reject(reason: unknown): void;
  onAbort: (() => void) | undefined;
  readonly signal: AbortSignal | undefined;
}
