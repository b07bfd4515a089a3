import {
  type AcquireRequest,
  BaseLock,
  type Capabilities,
  type LockOptions,
  noop,
  PermitsMismatchError,
  validateLockOptions,
  validatePermits,
} from '@lock/core';
import { type MutexTable, semaphoreStateOf } from './keyed-states.js';
import { enqueueWaiter, mutexCapabilities, rejectWaiters } from './mutex.js';
import { CountedGrant, SemaphoreState } from './mutex-state.js';
import { MutexWaiter } from './mutex-waiter.js';

/**
 * An in-process counting semaphore: a lock whose every lease is one of `permits` permits, so at most
 * `permits` leases are held at once. Strict FIFO: a release with waiters hands its permit straight to the
 * first waiter, synchronously, so a permit is never idle while someone waits and nobody takes one past the
 * queue. A free permit is granted without allocating a promise for the wait; cancelled or timed-out waiters
 * leave in O(1) with no timer left behind. Every grant carries a token, strictly increasing per name.
 *
 * `provider.semaphore(name, permits)` of a `MutexProvider` gives the same, keyed by name; every holder of a
 * name must use the same permits (`PermitsMismatchError` otherwise).
 *
 * @example
 * ```ts
 * const exports = new Semaphore('exports', 3);
 * await exports.withLock(async () => runExport()); // at most 3 at once
 * ```
 */
export class Semaphore extends BaseLock<CountedGrant<SemaphoreState>> {
  /** How many leases may be held at once. */
  readonly permits: number;
  private readonly table: MutexTable | undefined;
  private readonly ownState: SemaphoreState | undefined;

  /**
   * @param name - Used in errors and `lease.name`.
   * @param permits - A whole number from 1 to 1,000,000.
   * @param options - As for `Mutex` (`maxHoldMs`; `ttlMs` and `renewEveryMs` are accepted and ignored).
   * @param table - Internal: the provider's keyed table.
   */
  constructor(name: string, permits: number, options?: LockOptions, /** @internal */ table?: MutexTable) {
    // A provider's semaphore() has checked its input already; a standalone semaphore checks it here.
    if (table === undefined) {
      validatePermits(permits, name);
      validateLockOptions(options, name);
    }
    super(name, { ...options, owner: table?.owner });
    this.permits = permits;
    this.table = table;
    this.ownState = table === undefined ? new SemaphoreState(permits, { last: 0 }) : undefined;
  }

  get capabilities(): Capabilities {
    return mutexCapabilities();
  }

  /** Permits free right now (exact right after `release()`, which is synchronous inside). */
  get available(): number {
    const state = this.peek();
    return state === undefined ? this.permits : state.permits - state.taken;
  }

  /** Number of acquisitions waiting in line. */
  get waiting(): number {
    return this.peek()?.size ?? 0;
  }

  protected acquireGrant(
    request: AcquireRequest,
  ): CountedGrant<SemaphoreState> | null | Promise<CountedGrant<SemaphoreState>> {
    const state = this.ownState ?? semaphoreStateOf(this.table!, this.name, this.permits);
    if (state.permits !== this.permits)
      throw new PermitsMismatchError(this.name, this.permits, state.permits);
    if (state.taken < state.permits && state.head === undefined) {
      state.taken++;
      return new CountedGrant(++state.tokens.last, state);
    }
    if (!request.wait) return null;
    return enqueueWaiter(new MutexWaiter(), state, request.signal, this.waiterLeft);
  }

  protected releaseGrant(grant: CountedGrant<SemaphoreState>): boolean {
    if (!grant.held) return false;
    grant.held = false;
    const state = grant.state;
    if (this.table?.owner?.closed) rejectWaiters(state, mutexCapabilities().backend, this.name);
    const waiter = state.shift();
    if (waiter === undefined) {
      state.taken--;
      return true;
    }
    // Synchronous handoff of this permit: `taken` stays, so a newcomer cannot take it past the queue.
    waiter.grant(new CountedGrant(++state.tokens.last, state));
    return true;
  }

  // A permit waiter that leaves frees nothing (it waited because none was free).
  private readonly waiterLeft = noop;

  private peek(): SemaphoreState | undefined {
    const state = this.ownState ?? this.table!.states.get(this.name);
    return state instanceof SemaphoreState ? state : undefined;
  }
}
