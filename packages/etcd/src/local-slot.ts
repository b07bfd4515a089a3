interface SlotWaiter {
  /** A reader's entry: it only waits for the exclusive turns ahead of it to reach etcd. */
  shared: boolean;
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * The in-process turn of one lock name within one session. All locks of a session share one lease, so they
 * share one etcd key per name (`NAME/<lease hex>`, as in Go's mutex): two exclusive acquisitions of the same
 * name in the same session would both "own" that key. Taking turns here first keeps one etcd key per name per
 * session; local waiters queue in arrival order (FIFO) and the etcd queue orders the sessions.
 *
 * Readers of a read-write lock put keys of their own, so they never take the turn; they only keep arrival
 * order with it: a reader that arrives after an exclusive acquisition of this session passes only once that
 * acquisition's key is in etcd (`admit`), so a waiting writer holds back later readers in one process as the
 * etcd queue does across processes.
 * @internal
 */
export class LocalSlot {
  /** True while an exclusive acquisition of this session is in etcd (queued, holding, or cleaning up). */
  busy = false;
  /** The lock name this turn is for (errors name it). */
  readonly name: string;
  /** The busy turn's key has been put: readers behind it may put theirs. */
  private admitted = false;
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
    this.admitted = false;
    return true;
  }

  /** Waits for the turn; rejects with `signal.reason` (and leaves the queue) if `signal` aborts first. */
  enter(signal: AbortSignal | undefined): Promise<void> {
    if (this.tryEnter()) return Promise.resolve();
    return this.queue(false, signal);
  }

  /**
   * A reader passes: `true` at once when no exclusive acquisition of this session is ahead of it outside etcd;
   * `false` when `wait` is false and an exclusive acquisition waits here for a holder (it is ahead of this
   * reader, so a try must fail); otherwise a promise that resolves when it may pass (rejects with
   * `signal.reason`, leaving the queue, if `signal` aborts first).
   */
  passShared(signal: AbortSignal | undefined, wait: boolean): boolean | Promise<void> {
    if (this.waiters.length === 0 && (!this.busy || this.admitted)) {
      // A reader never keeps a slot: forget one nobody uses.
      if (!this.busy) this.onIdle();
      return true;
    }
    if (!wait && this.waiters.some((waiter) => !waiter.shared)) return false;
    return this.queue(true, signal);
  }

  /** The busy turn's key is in etcd: the readers queued right behind it may go. */
  admit(): void {
    if (!this.busy) return;
    this.admitted = true;
    this.drain();
  }

  /** Hands the turn to the next local waiter, or frees it. */
  leave(): void {
    this.busy = false;
    this.admitted = false;
    this.drain();
  }

  /** Rejects every local waiter (provider closing). */
  rejectAll(reason: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(reason);
    }
  }

  private queue(shared: boolean, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: SlotWaiter = { shared, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal.reason);
          // A writer that gave up no longer holds back the readers behind it.
          this.drain();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Lets go, in order, every waiter the state allows: readers while no turn is outside etcd, one turn. */
  private drain(): void {
    for (;;) {
      const next = this.waiters[0];
      if (next === undefined) break;
      if (next.shared ? this.busy && !this.admitted : this.busy) break;
      this.waiters.shift();
      if (next.onAbort !== undefined) next.signal?.removeEventListener('abort', next.onAbort);
      if (!next.shared) {
        this.busy = true;
        this.admitted = false;
      }
      next.resolve();
    }
    if (!this.busy && this.waiters.length === 0) this.onIdle();
  }
}
