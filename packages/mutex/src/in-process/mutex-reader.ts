import { type AcquireRequest, BaseLock, type Capabilities, type LockOptions, noop } from '@lock/core';
import { admitWaiting } from './admit-waiting.js';
import { lockStateOf, type MutexTable } from './keyed-states.js';
import { enqueueWaiter, mutexCapabilities, rejectWaiters } from './mutex.js';
import { CountedGrant, MutexState } from './mutex-state.js';
import { MutexWaiter } from './mutex-waiter.js';

/**
 * The read side of an in-process read-write mutex (`ReadWriteMutex.read`, `provider.readWriteLock(name).read`):
 * shared grants of the name whose write side is the `Mutex` of the same name. A reader is granted at once
 * when no writer holds and nobody waits; otherwise it queues in arrival order with the writers, so a writer
 * that waits holds back every reader that comes after it. When a writer releases, the whole run of readers
 * at the head of the queue is granted together, synchronously.
 * @internal (made by `ReadWriteMutex` and `MutexProvider`)
 */
export class MutexReader extends BaseLock<CountedGrant<MutexState>> {
  private readonly table: MutexTable | undefined;
  private readonly ownState: MutexState | undefined;

  /** @param place - The provider's keyed table, or the state the write side shares. */
  constructor(name: string, options: LockOptions | undefined, place: MutexTable | MutexState) {
    const table = place instanceof MutexState ? undefined : place;
    super(name, { ...options, owner: table?.owner });
    this.table = table;
    this.ownState = table === undefined ? (place as MutexState) : undefined;
  }

  get capabilities(): Capabilities {
    return mutexCapabilities();
  }

  protected acquireGrant(
    request: AcquireRequest,
  ): CountedGrant<MutexState> | null | Promise<CountedGrant<MutexState>> {
    const state = this.ownState ?? lockStateOf(this.table!, this.name);
    // Behind a writer that holds or waits, a reader queues: nobody is granted past an earlier waiter.
    if (state.holder === undefined && state.head === undefined) {
      state.readers++;
      return new CountedGrant(++state.tokens.last, state);
    }
    if (!request.wait) return null;
    const waiter = new MutexWaiter();
    waiter.shared = true;
    return enqueueWaiter(waiter, state, request.signal, this.waiterLeft);
  }

  protected releaseGrant(grant: CountedGrant<MutexState>): boolean {
    if (!grant.held) return false;
    grant.held = false;
    const state = grant.state;
    if (this.table?.owner?.closed) rejectWaiters(state, mutexCapabilities().backend, this.name);
    state.readers--;
    // The last reader out hands the name to the writer at the head, if one waits.
    if (state.readers === 0) admitWaiting(state);
    return true;
  }

  // A leaving reader cannot unblock anyone (an idle entry is swept with the others, see MutexTable).
  private readonly waiterLeft = noop;
}
