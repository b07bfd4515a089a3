import type { Grant } from '@lock/core';
import type { ListedWaiter } from '../waiter-list.js';

const PENDING = 0;
const GRANTED = 1;
const FAILED = 2;

/**
 * A queued acquisition: a node of its name's `WaiterList` (a cancelled waiter leaves in O(1)), and
 * the thenable that `acquireGrant` returns. BaseLock's `then(grant => lease)` is kept on the node and run
 * at handoff, so the caller's promise resolves with the lease directly: one promise and one microtask per
 * contended acquire, as in a bare queue, instead of a grant promise plus a derived lease promise.
 * @internal
 */
export class MutexWaiter implements PromiseLike<Grant>, ListedWaiter<MutexWaiter> {
  prev: MutexWaiter | undefined = undefined;
  next: MutexWaiter | undefined = undefined;
  /** True for a shared acquisition (a reader), which may be granted beside other shared grants. */
  shared = false;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  private state: 0 | 1 | 2 = PENDING;
  private value: unknown = undefined;
  private onGranted: ((grant: Grant) => unknown) | undefined = undefined;
  private onFailed: ((reason: unknown) => unknown) | undefined = undefined;
  private resolveWith: ((value: unknown) => void) | undefined = undefined;
  private rejectWith: ((reason: unknown) => void) | undefined = undefined;

  // biome-ignore lint/suspicious/noThenProperty: a deliberate thenable (see the class comment).
  then<A = Grant, B = never>(
    onGranted?: ((grant: Grant) => A | PromiseLike<A>) | null,
    onFailed?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return new Promise<A | B>((resolve, reject) => {
      this.onGranted = onGranted ?? undefined;
      this.onFailed = onFailed ?? undefined;
      this.resolveWith = resolve as (value: unknown) => void;
      this.rejectWith = reject;
      // `await` calls then() a microtask late: the outcome may already be known.
      if (this.state === GRANTED) this.grant(this.value as Grant);
      else if (this.state === FAILED) this.fail(this.value);
    });
  }

  /** Hands the lock to this waiter. */
  grant(grant: Grant): void {
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
