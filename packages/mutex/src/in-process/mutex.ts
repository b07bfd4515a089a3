import {
  type AcquireRequest,
  BaseLock,
  type Capabilities,
  type LockOptions,
  ProviderClosedError,
  validateLockOptions,
} from '@lock/core';
import type { WaiterList } from '../waiter-list.js';
import { admitWaiting } from './admit-waiting.js';
import { lockStateOf, type MutexTable } from './keyed-states.js';
import { MutexGrant, MutexState } from './mutex-state.js';
import { MutexWaiter } from './mutex-waiter.js';

export type { MutexTable } from './keyed-states.js';

const CAPABILITIES: Capabilities = Object.freeze({
  backend: 'mutex',
  scope: 'process',
  durability: 'memory',
  waiting: 'queue',
  fifo: true,
  fencing: true,
  leases: false,
  readWrite: true,
  semaphore: true,
});

/**
 * What every in-process mutex guarantees, whatever its settings (it has none): the `mutex` kind's
 * capabilities, which its locks and provider declare. One frozen object, so a read allocates nothing.
 */
export function mutexCapabilities(): Capabilities {
  return CAPABILITIES;
}

/**
 * An in-process async mutex: strict FIFO, synchronous handoff on release, a fencing token per grant, and
 * cancelled or timed-out waiters removed in O(1) with no timer left behind.
 *
 * Not reentrant: acquiring twice from the same task waits for itself (use `timeoutMs` or a signal).
 *
 * @example
 * ```ts
 * const mutex = new Mutex('orders');
 * await mutex.withLock(async () => { await updateOrder(); });
 * ```
 */
export class Mutex extends BaseLock<MutexGrant> {
  private readonly table: MutexTable | undefined;
  private readonly ownState: MutexState | undefined;

  /**
   * @param name - Used in errors and `lease.name`; defaults to `'mutex'`.
   * @param options - `maxHoldMs` aborts `lease.signal` after that long (the lock stays held until release);
   *   `ttlMs` and `renewEveryMs` are accepted and ignored: in-process grants never expire.
   * @param place - Internal: the provider's keyed table, or the state shared with a read side
   *   (a standalone `ReadWriteMutex`).
   */
  constructor(name = 'mutex', options?: LockOptions, /** @internal */ place?: MutexTable | MutexState) {
    const table = place instanceof MutexState ? undefined : place;
    // A provider's lock() has checked its options already; a standalone mutex checks them here.
    if (table === undefined) validateLockOptions(options, name);
    super(name, { ...options, owner: table?.owner });
    this.table = table;
    this.ownState =
      table !== undefined ? undefined : ((place as MutexState | undefined) ?? new MutexState({ last: 0 }));
  }

  get capabilities(): Capabilities {
    return mutexCapabilities();
  }

  /**
   * True while the name is held (by this lock, or by readers of its read-write lock); exact right after
   * `release()` (which is synchronous inside).
   */
  get isLocked(): boolean {
    const state = this.peek();
    return state !== undefined && (state.holder !== undefined || state.readers !== 0);
  }

  /** Number of acquisitions waiting in line. */
  get waiting(): number {
    return this.peek()?.size ?? 0;
  }

  protected acquireGrant(request: AcquireRequest): MutexGrant | null | Promise<MutexGrant> {
    const state = this.ownState ?? lockStateOf(this.table!, this.name);
    // Free means no writer and no reader; then nobody waits either (a release hands the name on at once).
    if (state.holder === undefined && state.readers === 0) {
      return (state.holder = new MutexGrant(++state.tokens.last, state));
    }
    if (!request.wait) return null;
    return enqueueWaiter(new MutexWaiter(), state, request.signal, this.waiterLeft);
  }

  // Bound once: a writer that leaves the head lets the readers queued behind it in (when only readers hold).
  private readonly waiterLeft = (state: MutexState): void => {
    admitWaiting(state);
  };

  protected releaseGrant(grant: MutexGrant): boolean {
    const state = grant.state;
    if (state.holder !== grant) return false;
    // A closing provider ends its waiters instead of handing them a grant nobody would end.
    if (this.table?.owner?.closed) rejectWaiters(state, CAPABILITIES.backend, this.name);
    const waiter = state.head;
    if (waiter === undefined) {
      // The idle entry stays in the table (see MutexTable): the next acquisition of a hot name reuses it.
      state.holder = undefined;
      return true;
    }
    if (!waiter.shared) {
      // Synchronous handoff: the lock goes to the head without ever being free, so nobody can barge in.
      state.shift();
      const next = new MutexGrant(++state.tokens.last, state);
      state.holder = next;
      waiter.grant(next);
      return true;
    }
    state.holder = undefined;
    admitWaiting(state);
    return true;
  }

  private peek(): MutexState | undefined {
    const state = this.ownState ?? this.table!.states.get(this.name);
    return state instanceof MutexState ? state : undefined;
  }
}

/**
 * Queues `waiter` on `list`; with a signal, an abort takes it out in O(1), runs `left` (hand on what the
 * leaving waiter held back, drop an idle entry) and rejects it. BaseLock has already cleared its timer then,
 * so nothing of the waiter remains. Returns the waiter as the thenable BaseLock awaits (see MutexWaiter).
 * @internal
 */
export function enqueueWaiter<G, L extends WaiterList<MutexWaiter>>(
  waiter: MutexWaiter,
  list: L,
  signal: AbortSignal | undefined,
  left: (list: L) => void,
): Promise<G> {
  if (signal === undefined) list.push(waiter);
  else {
    list.push(waiter, signal, () => {
      list.unlink(waiter);
      left(list);
      waiter.fail(signal.reason);
    });
  }
  // A thenable, not a Promise: BaseLock only calls then() on it (see MutexWaiter).
  return waiter as unknown as Promise<G>;
}

/** Rejects every waiter of `state` (provider close). @internal */
export function rejectWaiters(state: WaiterList<MutexWaiter>, backend: string, name: string): void {
  for (let waiter = state.shift(); waiter !== undefined; waiter = state.shift()) {
    waiter.fail(new ProviderClosedError(backend, 'acquire', name));
  }
}
