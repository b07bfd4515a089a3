import type { Grant } from '@lock/core';

/**
 * One grant of an in-process mutex. Its identity is the ownership proof: release compares the object, so a
 * stale lease can never free a later holder's grant.
 * @internal
 */
export class MutexGrant implements Grant {
  constructor(
    /** The token as a number: exact up to 2^53 grants; the bigint is made only when read (hot path). */
    readonly serial: number,
    readonly state: MutexState,
  ) {}

  get token(): bigint {
    return BigInt(this.serial);
  }
}

/** A queued acquisition. A node of an intrusive doubly linked list, so a cancelled waiter leaves in O(1). @internal */
export class MutexWaiter {
  prev: MutexWaiter | undefined = undefined;
  next: MutexWaiter | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly resolve: (grant: MutexGrant) => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}

/** Monotonic token source, shared by every name of a provider so tokens survive idle-entry removal. @internal */
export interface TokenCounter {
  last: number;
}

/**
 * The state of one mutex name: the current grant and the FIFO of waiters. The lock is free exactly when
 * `holder` is undefined; a release with waiters hands the lock straight to the head, so it is never free
 * while someone waits (no barging, strict FIFO).
 * @internal
 */
export class MutexState {
  holder: MutexGrant | undefined = undefined;
  head: MutexWaiter | undefined = undefined;
  tail: MutexWaiter | undefined = undefined;
  waiting = 0;

  /** True when nobody holds or waits: a keyed entry can be dropped. */
  get idle(): boolean {
    return this.holder === undefined && this.head === undefined;
  }

  push(waiter: MutexWaiter): void {
    waiter.prev = this.tail;
    if (this.tail === undefined) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.waiting++;
  }

  unlink(waiter: MutexWaiter): void {
    if (waiter.prev === undefined) this.head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = undefined;
    waiter.next = undefined;
    this.waiting--;
  }

  /** Removes and returns the head, detaching its abort listener so the caller's signal keeps nothing of ours. */
  shift(): MutexWaiter | undefined {
    const waiter = this.head;
    if (waiter === undefined) return undefined;
    this.unlink(waiter);
    if (waiter.signal !== undefined) {
      waiter.signal.removeEventListener('abort', waiter.onAbort!);
      waiter.signal = undefined;
      waiter.onAbort = undefined;
    }
    return waiter;
  }
}
