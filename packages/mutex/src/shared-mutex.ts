import type { Worker } from 'node:worker_threads';
import {
  type AcquireOptions,
  type AcquireRequest,
  BaseLock,
  type Capabilities,
  InvalidArgumentError,
  type Lease,
  type LeaseHooks,
  type LeaseSettings,
  LockNotHeldError,
  type LockOptions,
  type LockOwner,
  ManagedLease,
} from '@lock/core';
import { DEFAULT_MAX_THREADS, type SharedMutexHandle, SharedTable } from './shared-table.js';
import { recoverThread, type SharedGrant, SlotRuntime } from './slot-runtime.js';

/** What a shared mutex guarantees. */
export const SHARED_MUTEX_CAPABILITIES: Capabilities = Object.freeze({
  backend: 'shared-mutex',
  scope: 'threads',
  durability: 'memory',
  waiting: 'queue',
  fifo: true,
  fencing: true,
  leases: false,
});

/** A lease of a {@link SharedMutex}. */
export interface SharedMutexLease extends Lease {
  /**
   * True when the previous holder's thread terminated, threw or exited while holding the lock and the lock
   * was recovered: the data it protects may be half-updated (like a robust pthread mutex's EOWNERDEAD).
   */
  readonly previousOwnerDied: boolean;
}

/** Options of a standalone {@link SharedMutex}. */
export interface SharedMutexOptions extends LockOptions {
  /** Most threads that may queue for the lock at once; a power of two. Default 64. */
  maxThreads?: number | undefined;
}

/** Where a {@link SharedMutex} lives: a table and a slot in it. @internal */
export interface SharedSlot {
  readonly table: SharedTable;
  readonly slot: number;
  readonly owner: LockOwner | undefined;
}

/** The handle of one shared mutex: post it to a worker and call `SharedMutex.open(handle)` there. */
export interface SharedMutexSlotHandle extends SharedMutexHandle {
  readonly slot: number;
}

/**
 * A mutex shared by all worker threads of a process. Its state (ticket counters, owner thread id, fencing
 * counter) lives in a SharedArrayBuffer; waiting uses `Atomics.waitAsync`, so no thread, not even the main
 * one, ever blocks its event loop. Fair: threads are served in ticket order, and a thread that releases
 * queues again behind the others. A thread that dies holding the lock is recovered when its `exit` event
 * reaches the thread that called {@link SharedMutex.watch} on its Worker; the next lease then says
 * `previousOwnerDied`.
 *
 * @example
 * ```ts
 * const mutex = new SharedMutex('counter');
 * const worker = new Worker('./worker.js', { workerData: mutex.handle }); // there: SharedMutex.open(workerData)
 * mutex.watch(worker);                          // recover the lock if the worker dies holding it
 * await mutex.withLock(() => { shared[0]++; });
 * ```
 */
export class SharedMutex extends BaseLock<SharedGrant> {
  private readonly place: SharedSlot;
  private readonly runtime: SlotRuntime;
  private syncGrant: SharedGrant | undefined;
  private lastGrant: SharedGrant | undefined;

  /**
   * @param name - Used in errors and `lease.name`; default `'shared-mutex'`.
   * @param options - `maxThreads` (power of two, default 64); `maxHoldMs` aborts `lease.signal` after that long.
   * @param place - Internal: a slot of a provider's table, or of a table reopened from a handle.
   */
  constructor(name = 'shared-mutex', options?: SharedMutexOptions, /** @internal */ place?: SharedSlot) {
    const { maxThreads, ...lockOptions } = options ?? {};
    super(name, { ...lockOptions, owner: place?.owner });
    this.place = place ?? {
      table: SharedTable.create(1, maxThreads ?? DEFAULT_MAX_THREADS),
      slot: 0,
      owner: undefined,
    };
    this.runtime = SlotRuntime.of(this.place.table, this.place.slot);
  }

  /** Reopens, in another thread, the mutex whose {@link SharedMutex.handle} was posted there. */
  static open(handle: SharedMutexSlotHandle, name?: string, options?: LockOptions): SharedMutex {
    const table = SharedTable.open(handle);
    const slot = handle.slot;
    if (!Number.isInteger(slot) || slot < 0 || slot >= table.capacity) {
      throw new InvalidArgumentError('handle.slot', slot, `an integer from 0 to ${table.capacity - 1}`, name);
    }
    return new SharedMutex(name, options, { table, slot, owner: undefined });
  }

  get capabilities(): Capabilities {
    return SHARED_MUTEX_CAPABILITIES;
  }

  /** Structured-cloneable handle: `postMessage` it and call {@link SharedMutex.open} in the worker. */
  get handle(): SharedMutexSlotHandle {
    return { buffer: this.place.table.buffer, slot: this.place.slot };
  }

  /** True while any thread holds the lock (a snapshot). */
  get isLocked(): boolean {
    return this.runtime.locked;
  }

  /** Acquisitions of this thread waiting for the lock. */
  get waiting(): number {
    return this.runtime.waiting;
  }

  /** After a successful {@link SharedMutex.tryLock}: true if the previous holder died holding the lock. */
  get previousOwnerDied(): boolean {
    return this.lastGrant?.previousOwnerDied ?? false;
  }

  /** Fencing token of this handle's latest {@link SharedMutex.tryLock} grant (0n before the first). */
  get token(): bigint {
    return this.lastGrant?.token ?? 0n;
  }

  /**
   * Recovers the lock if `worker` terminates, throws or exits while holding it (or while queued). Call it
   * in the thread that created the worker; recovery runs when that thread receives the worker's `exit`
   * event, i.e. within one turn of its event loop after the worker stopped.
   */
  watch(worker: Worker): this {
    watchWorker(this.place.table, worker);
    return this;
  }

  /** Takes the lock synchronously if nobody holds or waits for it; never waits. Release with `unlock()`. */
  tryLock(): boolean {
    if (this.syncGrant !== undefined) return false;
    const grant = this.runtime.tryGrant();
    if (grant === null) return false;
    this.syncGrant = grant;
    this.lastGrant = grant;
    return true;
  }

  /** Releases a lock taken with `tryLock()` by this handle; `LockNotHeldError` otherwise. */
  unlock(): void {
    const grant = this.syncGrant;
    if (grant === undefined) throw new LockNotHeldError(this.name, 'unlock');
    this.syncGrant = undefined;
    this.runtime.release(grant);
  }

  // Type-only narrowing: createLease below makes every lease a SharedMutexLease.
  override acquire(options?: AcquireOptions): Promise<SharedMutexLease> {
    return super.acquire(options) as Promise<SharedMutexLease>;
  }

  override tryAcquire(options?: Omit<AcquireOptions, 'timeoutMs'>): Promise<SharedMutexLease | null> {
    return super.tryAcquire(options) as Promise<SharedMutexLease | null>;
  }

  protected override createLease(
    grant: SharedGrant,
    hooks: LeaseHooks<SharedGrant>,
    settings: LeaseSettings<SharedGrant> | undefined,
  ): ManagedLease<SharedGrant> {
    return new SharedMutexManagedLease(hooks, grant, settings);
  }

  protected acquireGrant(request: AcquireRequest): SharedGrant | null | Promise<SharedGrant> {
    if (!request.wait) return this.runtime.tryGrant();
    return this.runtime.grant(request.signal, this.place.owner, this.name);
  }

  protected releaseGrant(grant: SharedGrant): boolean {
    return this.runtime.release(grant);
  }
}

/** A lease that says whether the previous owner died holding the lock. */
class SharedMutexManagedLease extends ManagedLease<SharedGrant> implements SharedMutexLease {
  get previousOwnerDied(): boolean {
    return this.grant.previousOwnerDied;
  }
}

/** Registers recovery of `table` on `worker`'s exit. @internal */
export function watchWorker(table: SharedTable, worker: Worker): void {
  if (typeof worker !== 'object' || worker === null || typeof (worker as Worker).once !== 'function') {
    throw new InvalidArgumentError('worker', worker, 'a Worker from node:worker_threads');
  }
  const threadId = worker.threadId;
  worker.once('exit', () => recoverThread(table, threadId));
}
