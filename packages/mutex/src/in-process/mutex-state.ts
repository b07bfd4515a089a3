import type { Grant } from '@lock/core';
import { WaiterList } from '../waiter-list.js';
import type { MutexWaiter } from './mutex-waiter.js';

/**
 * The state of one mutex name: the current grant and the FIFO of waiters (the list itself). The lock is free
 * exactly when `holder` is undefined; a release with waiters hands the lock straight to the head, so it is
 * never free while someone waits (no barging, strict FIFO).
 * @internal
 */
export class MutexState extends WaiterList<MutexWaiter> {
  holder: MutexGrant | undefined = undefined;

  /** True when nobody holds or waits: a keyed entry can be dropped. */
  get idle(): boolean {
    return this.holder === undefined && this.head === undefined;
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

/** Monotonic token source, shared by every name of a provider so tokens survive idle-entry removal. @internal */
export interface TokenCounter {
  last: number;
}
