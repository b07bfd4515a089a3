import type { Grant } from '@lock/core';
import { WaiterList } from '../waiter-list.js';
import type { MutexWaiter } from './mutex-waiter.js';

/**
 * The state of one mutex name in its two modes: the exclusive grant (a `Mutex`, the write side of a
 * read-write mutex), the number of shared grants (readers), and the FIFO of waiters of both modes (the list
 * itself). The name is free exactly when `holder` is undefined and `readers` is 0; a release hands the name
 * straight to the head of the queue (the head writer, or the run of readers at the head), so it is never
 * free while someone waits and nobody barges past the queue: a waiting writer holds back every reader that
 * arrives after it.
 * @internal
 */
export class MutexState extends WaiterList<MutexWaiter> {
  holder: MutexGrant | undefined = undefined;
  /** Shared grants held right now. */
  readers = 0;

  /** @param tokens - Where grants of this name draw their tokens (the provider's counter, or the lock's own). */
  constructor(readonly tokens: TokenCounter) {
    super();
  }

  /** True when nobody holds or waits: a keyed entry can be dropped. */
  get idle(): boolean {
    return this.holder === undefined && this.readers === 0 && this.head === undefined;
  }
}

/**
 * The state of one semaphore name: its permits, how many are taken, and the FIFO of waiters. A release with
 * waiters hands its permit straight to the head (`taken` stays), so a permit is never idle while someone
 * waits and a newcomer never takes one past the queue.
 * @internal
 */
export class SemaphoreState extends WaiterList<MutexWaiter> {
  taken = 0;

  constructor(
    readonly permits: number,
    readonly tokens: TokenCounter,
  ) {
    super();
  }

  /** True when nobody holds or waits: a keyed entry can be dropped. */
  get idle(): boolean {
    return this.taken === 0 && this.head === undefined;
  }
}

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

/**
 * One grant among several held at once (a reader, a permit): it is one of a count, so it carries its own
 * `held` flag, and release gives back exactly one unit, once.
 * @internal
 */
export class CountedGrant<S = MutexState | SemaphoreState> implements Grant {
  held = true;

  constructor(
    readonly serial: number,
    readonly state: S,
  ) {}

  get token(): bigint {
    return BigInt(this.serial);
  }
}

/** Monotonic token source, shared by every name of a provider so tokens survive idle-entry removal. @internal */
export interface TokenCounter {
  last: number;
}
