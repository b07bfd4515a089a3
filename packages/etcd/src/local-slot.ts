interface SlotWaiter {
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * The in-process turn of one lock name within one session. All locks of a session share one lease, so they
 * share one etcd key per name (`NAME/<lease hex>`, as in Go's mutex): two acquisitions of the same name in
 * the same session would both "own" that key. Taking turns here first keeps one etcd key per name per
 * session; local waiters queue in arrival order (FIFO) and the etcd queue orders the sessions.
 * @internal
 */
export class LocalSlot {
  /** True while an acquisition of this session is in etcd (queued, holding, or cleaning its key up). */
  busy = false;
  /** The lock name this turn is for (errors name it). */
  readonly name: string;
  private readonly waiters: SlotWaiter[] = [];
  private readonly onIdle: () => void;

  constructor(name: string, onIdle: () => void) {
    this.name = name;
    this.onIdle = onIdle;
  }

  /** Takes the turn now if it is free. */
  tryEnter(): boolean {
    if (this.busy) return false;
    this.busy = true;
    return true;
  }

  /** Waits for the turn; rejects with `signal.reason` (and leaves the queue) if `signal` aborts first. */
  enter(signal: AbortSignal | undefined): Promise<void> {
    if (this.tryEnter()) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: SlotWaiter = { resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Hands the turn to the next local waiter, or frees it. */
  leave(): void {
    const next = this.waiters.shift();
    if (next === undefined) {
      this.busy = false;
      this.onIdle();
      return;
    }
    if (next.onAbort !== undefined) next.signal?.removeEventListener('abort', next.onAbort);
    next.resolve();
  }

  /** Rejects every local waiter (provider closing). */
  rejectAll(reason: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(reason);
    }
  }
}
