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
  validateLockOptions,
  validateOptionsObject,
} from '@lock/core';
import { LocalWaiter } from './local-waiter.js';
import { recoverThread } from './recover-thread.js';
import { MOVED, type SharedGrant } from './shared-grant.js';
import { DEFAULT_MAX_THREADS } from './shared-mutex-settings.js';
import { type SharedMutexHandle, SharedTable } from './shared-table.js';
import { EXCLUSIVE, modeMismatch, type SlotMode } from './slot-mode.js';
import { findSlot, type SlotPlace, slotKey } from './slot-names.js';
import { SlotRuntime } from './slot-runtime.js';

const CAPABILITIES: Capabilities = Object.freeze({
  backend: 'shared-mutex',
  scope: 'threads',
  durability: 'memory',
  waiting: 'queue',
  fifo: true,
  fencing: true,
  leases: false,
  readWrite: true,
  semaphore: true,
});

/**
 * What every shared mutex guarantees, whatever the shape of its table: the `shared-mutex` kind's
 * capabilities, which its locks and provider declare. One frozen object, so a read allocates nothing.
 */
export function sharedMutexCapabilities(): Capabilities {
  return CAPABILITIES;
}

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

/** Where a {@link SharedMutex} lives: a table, and the name key (or the fixed slot) that finds its slot. @internal */
export interface SharedSlot {
  readonly table: SharedTable;
  /** The name's 64-bit hash; 0n for a mutex fixed to `slot` (a standalone one). */
  readonly key: bigint;
  /** Where to look first (the fixed slot when `key` is 0n). */
  readonly slot: number;
  readonly owner: LockOwner | undefined;
  /** What the handle asks of the slot: a mutex (default), a reader, a writer, a semaphore's permit. */
  readonly mode?: SlotMode | undefined;
}

/** The handle of one shared mutex: post it to a worker and call `SharedMutex.attach(handle)` there. */
export interface SharedMutexSlotHandle extends SharedMutexHandle {
  /** The slot the mutex was in when the handle was made. */
  readonly slot: number;
  /**
   * For a mutex of a provider's table: its name's key, so the attached mutex follows its name if the slot
   * is later given to another name. Omitted for a standalone mutex.
   */
  readonly key?: bigint | undefined;
}

/** How many times a sync attempt looks its name up again after finding its slot renamed. */
const MAX_RELOCATIONS = 16;

/**
 * A mutex shared by all worker threads of a process. Its state (ticket counters, owner thread id, fencing
 * counter) lives in a SharedArrayBuffer; waiting uses `Atomics.waitAsync`, so no thread, not even the main
 * one, ever blocks its event loop. Fair: threads are served in ticket order, and a thread that releases
 * queues again behind the others. A thread that dies holding the lock, waiting for it, or anywhere in
 * between is recovered when its `exit` event reaches the thread that called {@link SharedMutex.watch} on
 * its Worker; the next lease then says `previousOwnerDied` if it died inside its critical section.
 *
 * @example
 * ```ts
 * const mutex = new SharedMutex('counter');
 * const worker = new Worker('./worker.js', { workerData: mutex.handle }); // there: SharedMutex.attach(workerData)
 * mutex.watch(worker);                          // recover the lock if the worker dies holding it
 * await mutex.withLock(() => { shared[0]++; });
 * ```
 */
export class SharedMutex extends BaseLock<SharedGrant> {
  private readonly place: SharedSlot;
  private readonly mode: SlotMode;
  private slot: number;
  private generation: number;
  private runtime: SlotRuntime;
  private readonly relocateWaiter: (waiter: LocalWaiter) => void;
  private syncGrant: SharedGrant | undefined;
  private lastGrant: SharedGrant | undefined;

  /**
   * @param name - Used in errors and `lease.name`; default `'shared-mutex'`.
   * @param options - `maxThreads` (power of two, default 64); `maxHoldMs` aborts `lease.signal` after that long.
   * @param place - Internal: a name in a provider's table, or a table attached from a handle.
   */
  constructor(name = 'shared-mutex', options?: SharedMutexOptions, /** @internal */ place?: SharedSlot) {
    const { maxThreads, ...lockOptions } = options ?? {};
    // A provider's lock() has checked its options already; a standalone or attached mutex checks them here.
    if (place?.owner === undefined) {
      validateOptionsObject('options', options, name);
      validateLockOptions(lockOptions, name);
    }
    super(name, { ...lockOptions, owner: place?.owner });
    this.place = place ?? {
      table: SharedTable.create(1, maxThreads ?? DEFAULT_MAX_THREADS),
      key: 0n,
      slot: 0,
      owner: undefined,
    };
    this.mode = this.place.mode ?? EXCLUSIVE;
    const found = this.find(this.place.slot);
    this.slot = found.slot;
    this.generation = found.generation;
    this.runtime = SlotRuntime.of(this.place.table, found.slot);
    this.relocateWaiter = (waiter) => {
      try {
        this.relocate();
      } catch (error) {
        waiter.reject(error);
        return;
      }
      waiter.generation = this.generation;
      this.runtime.enqueue(waiter, waiter.signal);
    };
  }

  /** Attaches, in another thread, the mutex whose {@link SharedMutex.handle} was posted there. */
  static attach(handle: SharedMutexSlotHandle, name?: string, options?: LockOptions): SharedMutex {
    const table = SharedTable.attach(handle);
    const slot = handle.slot;
    if (!Number.isInteger(slot) || slot < 0 || slot >= table.capacity) {
      throw new InvalidArgumentError('handle.slot', slot, `an integer from 0 to ${table.capacity - 1}`, name);
    }
    const key = handle.key ?? slotKey(table, slot);
    if (typeof key !== 'bigint') {
      throw new InvalidArgumentError('handle.key', key, 'a bigint (the key from .handle) or undefined', name);
    }
    return new SharedMutex(name, options, { table, key, slot, owner: undefined });
  }

  get capabilities(): Capabilities {
    return sharedMutexCapabilities();
  }

  /** Structured-cloneable handle: `postMessage` it and call {@link SharedMutex.attach} in the worker. */
  get handle(): SharedMutexSlotHandle {
    const { table, key } = this.place;
    return key === 0n
      ? { buffer: table.buffer, slot: this.slot }
      : { buffer: table.buffer, slot: this.slot, key };
  }

  /** True while any thread holds the lock (a snapshot). */
  get isLocked(): boolean {
    if (this.runtime.generation === this.generation) return this.runtime.locked;
    // Renamed since: look without claiming a slot; a name in no slot is not held.
    const found = findSlot(this.place.table, this.place.key, false);
    return found !== undefined && SlotRuntime.of(this.place.table, found.slot).locked;
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
   * Recovers the lock if `worker` terminates, throws or exits while holding it, waiting for it, or anywhere
   * in between. Call it in the thread that created the worker; recovery runs when that thread receives the
   * worker's `exit` event, i.e. within one turn of its event loop after the worker stopped.
   */
  watch(worker: Worker): this {
    watchWorker(this.place.table, worker);
    return this;
  }

  /** Takes the lock synchronously if nobody holds or waits for it; never waits. Release with `unlock()`. */
  tryLock(): boolean {
    if (this.syncGrant !== undefined) return false;
    const grant = this.tryGrant();
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
    grant.runtime.release(grant);
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
    const grant = this.tryGrant();
    if (grant !== null || !request.wait) return grant;
    // A name of another kind is refused before waiting (and again at the head, where it is decided).
    const found = this.runtime.permits;
    if (found !== 0 && found !== this.mode.permits) throw modeMismatch(this.name, this.mode, found);
    return new Promise<SharedGrant>((resolve, reject) => {
      const waiter = new LocalWaiter(
        resolve,
        reject,
        this.place.owner,
        this.name,
        this.generation,
        this.relocateWaiter,
        this.mode,
      );
      this.runtime.enqueue(waiter, request.signal);
    });
  }

  protected releaseGrant(grant: SharedGrant): boolean {
    return grant.runtime.release(grant);
  }

  private tryGrant(): SharedGrant | null {
    // The slot's generation is checked by the grant itself; a stale handle only costs a retry here.
    for (let attempt = 0; attempt < MAX_RELOCATIONS; attempt++) {
      const grant = this.runtime.tryGrant(this.generation, this.mode, this.name);
      if (grant !== MOVED) {
        // Not free: queue where the name lives now, not behind another name's holders.
        if (grant === null && this.runtime.generation !== this.generation) this.relocate();
        return grant;
      }
      this.relocate();
    }
    return null; // renamed under us again and again: as good as busy
  }

  /** Finds the slot of this mutex's name: the fixed slot, or where the name lives now (claiming one). */
  private find(hint: number): SlotPlace {
    const { table, key } = this.place;
    if (key === 0n) return { slot: hint, generation: SlotRuntime.of(table, hint).generation };
    return findSlot(table, key, true, this.name);
  }

  private relocate(): void {
    const found = this.find(this.slot);
    this.slot = found.slot;
    this.generation = found.generation;
    this.runtime = SlotRuntime.of(this.place.table, found.slot);
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
