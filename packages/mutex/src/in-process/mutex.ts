import {
  type AcquireRequest,
  BaseLock,
  type Capabilities,
  type LockOptions,
  type LockOwner,
  ProviderClosedError,
  validateLockOptions,
} from '@lock/core';
import { MutexGrant, MutexState, type TokenCounter } from './mutex-state.js';
import { MutexWaiter } from './mutex-waiter.js';

const CAPABILITIES: Capabilities = Object.freeze({
  backend: 'mutex',
  scope: 'process',
  durability: 'memory',
  waiting: 'queue',
  fifo: true,
  fencing: true,
  leases: false,
});

/**
 * What every in-process mutex guarantees, whatever its settings (it has none): the `mutex` kind's
 * capabilities, which its locks and provider declare. One frozen object, so a read allocates nothing.
 */
export function mutexCapabilities(): Capabilities {
  return CAPABILITIES;
}

/** Shared state of the mutexes of one provider. @internal */
export interface MutexTable {
  readonly owner: LockOwner;
  readonly states: Map<string, MutexState>;
  readonly tokens: TokenCounter;
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
  private readonly tokens: TokenCounter;

  /**
   * @param name - Used in errors and `lease.name`; defaults to `'mutex'`.
   * @param options - `maxHoldMs` aborts `lease.signal` after that long (the lock stays held until release);
   *   `ttlMs` and `renewEveryMs` are accepted and ignored: in-process grants never expire.
   * @param table - Internal: the provider's keyed table.
   */
  constructor(name = 'mutex', options?: LockOptions, /** @internal */ table?: MutexTable) {
    // A provider's lock() has checked its options already; a standalone mutex checks them here.
    if (table === undefined) validateLockOptions(options, name);
    super(name, { ...options, owner: table?.owner });
    this.table = table;
    this.tokens = table?.tokens ?? { last: 0 };
    this.ownState = table === undefined ? new MutexState() : undefined;
  }

  get capabilities(): Capabilities {
    return mutexCapabilities();
  }

  /** True while a grant is held; exact right after `release()` (which is synchronous inside). */
  get isLocked(): boolean {
    return this.peek()?.holder !== undefined;
  }

  /** Number of acquisitions waiting in line. */
  get waiting(): number {
    return this.peek()?.size ?? 0;
  }

  protected acquireGrant(request: AcquireRequest): MutexGrant | null | Promise<MutexGrant> {
    const state = this.ownState ?? this.keyedState();
    if (state.holder === undefined) return (state.holder = new MutexGrant(++this.tokens.last, state));
    if (!request.wait) return null;
    return this.enqueue(state, request.signal);
  }

  protected releaseGrant(grant: MutexGrant): boolean {
    const state = grant.state;
    if (state.holder !== grant) return false;
    // A closing provider ends its waiters instead of handing them a grant nobody would end.
    if (this.table?.owner.closed) rejectWaiters(state, CAPABILITIES.backend, this.name);
    const waiter = state.shift();
    if (waiter === undefined) {
      state.holder = undefined;
      this.dropIfIdle(state);
      return true;
    }
    // Synchronous handoff: the lock goes to the head without ever being free, so nobody can barge in.
    const next = new MutexGrant(++this.tokens.last, state);
    state.holder = next;
    waiter.grant(next);
    return true;
  }

  private enqueue(state: MutexState, signal: AbortSignal | undefined): Promise<MutexGrant> {
    const waiter = new MutexWaiter();
    if (signal === undefined) state.push(waiter);
    else {
      state.push(waiter, signal, () => {
        // Out of the list in O(1); BaseLock has already cleared its timer, so nothing of this waiter remains.
        state.unlink(waiter);
        this.dropIfIdle(state);
        waiter.fail(signal.reason);
      });
    }
    // A thenable, not a Promise: BaseLock only calls then() on it (see MutexWaiter).
    return waiter as unknown as Promise<MutexGrant>;
  }

  private keyedState(): MutexState {
    const states = this.table!.states;
    let state = states.get(this.name);
    if (state === undefined) states.set(this.name, (state = new MutexState()));
    return state;
  }

  private peek(): MutexState | undefined {
    return this.ownState ?? this.table!.states.get(this.name);
  }

  private dropIfIdle(state: MutexState): void {
    // Keyed entries go away when idle so that one-off names do not accumulate; tokens come from the
    // provider-wide counter, so a re-created entry still issues larger tokens.
    if (this.table !== undefined && state.idle && this.table.states.get(this.name) === state) {
      this.table.states.delete(this.name);
    }
  }
}

/** Rejects every waiter of `state` (provider close). @internal */
export function rejectWaiters(state: MutexState, backend: string, name: string): void {
  for (let waiter = state.shift(); waiter !== undefined; waiter = state.shift()) {
    waiter.fail(new ProviderClosedError(backend, 'acquire', name));
  }
}
