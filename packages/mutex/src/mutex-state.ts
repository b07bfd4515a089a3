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

const PENDING = 0;
const GRANTED = 1;
const FAILED = 2;

/**
 * A queued acquisition: a node of an intrusive doubly linked list (a cancelled waiter leaves in O(1)), and
 * the thenable that `acquireGrant` returns. BaseLock's `then(grant => lease)` is kept on the node and run
 * at handoff, so the caller's promise resolves with the lease directly: one promise and one microtask per
 * contended acquire, as in a bare queue, instead of a grant promise plus a derived lease promise.
 * @internal
 */
export class MutexWaiter implements PromiseLike<MutexGrant> {
  prev: MutexWaiter | undefined = undefined;
  next: MutexWaiter | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  private state: 0 | 1 | 2 = PENDING;
  private value: unknown = undefined;
  private onGranted: ((grant: MutexGrant) => unknown) | undefined = undefined;
  private onFailed: ((reason: unknown) => unknown) | undefined = undefined;
  private resolveWith: ((value: unknown) => void) | undefined = undefined;
  private rejectWith: ((reason: unknown) => void) | undefined = undefined;

  // biome-ignore lint/suspicious/noThenProperty: a deliberate thenable (see the class comment).
  then<A = MutexGrant, B = never>(
    onGranted?: ((grant: MutexGrant) => A | PromiseLike<A>) | null,
    onFailed?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return new Promise<A | B>((resolve, reject) => {
      this.onGranted = onGranted ?? undefined;
      this.onFailed = onFailed ?? undefined;
      this.resolveWith = resolve as (value: unknown) => void;
      this.rejectWith = reject;
      // `await` calls then() a microtask late: the outcome may already be known.
      if (this.state === GRANTED) this.grant(this.value as MutexGrant);
      else if (this.state === FAILED) this.fail(this.value);
    });
  }

  /** Hands the lock to this waiter. */
  grant(grant: MutexGrant): void {
    const resolve = this.resolveWith;
    if (resolve === undefined) {
      this.state = GRANTED;
      this.value = grant;
      return;
    }
    if (this.onGranted === undefined) {
      resolve(grant);
      return;
    }
    try {
      resolve(this.onGranted(grant));
    } catch (error) {
      this.rejectWith!(error);
    }
  }

  /** Ends this waiter with `reason` (abort, timeout, provider close). */
  fail(reason: unknown): void {
    const reject = this.rejectWith;
    if (reject === undefined) {
      this.state = FAILED;
      this.value = reason;
      return;
    }
    if (this.onFailed === undefined) {
      reject(reason);
      return;
    }
    try {
      this.resolveWith!(this.onFailed(reason));
    } catch (error) {
      reject(error);
    }
  }
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
