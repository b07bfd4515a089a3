import type { Worker } from 'node:worker_threads';
import { BaseProvider, type Capabilities, InvalidArgumentError, type LockOptions } from '@lock/core';
import { SHARED_MUTEX_CAPABILITIES, SharedMutex, watchWorker } from './shared-mutex.js';
import {
  DEFAULT_CAPACITY,
  DEFAULT_MAX_THREADS,
  type SharedMutexHandle,
  SharedTable,
} from './shared-table.js';
import { hash64 } from './slot-names.js';
import { SlotRuntime } from './slot-runtime.js';

/** Options of a {@link SharedMutexProvider}. */
export interface SharedMutexProviderOptions {
  /**
   * Named slots in the table: how many names can be held or waited for at once. A name takes a slot when
   * first locked and keeps it while idle until a new name needs one and no never-used slot is left. Default 256.
   */
  capacity?: number | undefined;
  /** Most threads that may queue for one lock at once; a power of two. Default 64. */
  maxThreads?: number | undefined;
}

/**
 * Named shared mutexes for every worker thread that opens the same table: one SharedArrayBuffer holds a
 * table of slots, and a name claims a slot (by a 64-bit hash, with one compareExchange) the first time any
 * thread locks it; once every slot has been used, a new name takes the slot of a name nobody holds or waits
 * for. Post {@link SharedMutexProvider.handle} to workers and reopen it there with
 * {@link SharedMutexProvider.open}; `provider.lock(name)` then means the same lock in every thread.
 * `new SharedMutexProvider()` makes a table of its own; `createProvider({ backend: 'shared-mutex' })` uses
 * the table of the process, which workers started afterwards find by themselves.
 */
export class SharedMutexProvider extends BaseProvider<SharedMutex> {
  /** @internal */
  readonly table: SharedTable;

  constructor(options: SharedMutexProviderOptions | SharedTable = {}) {
    super();
    if (options instanceof SharedTable) {
      this.table = options;
    } else {
      if (typeof options !== 'object' || options === null) {
        throw new InvalidArgumentError('options', options, 'an options object or undefined');
      }
      this.table = SharedTable.create(
        options.capacity ?? DEFAULT_CAPACITY,
        options.maxThreads ?? DEFAULT_MAX_THREADS,
      );
    }
  }

  /** Opens, in another thread, the table whose {@link SharedMutexProvider.handle} was posted there. */
  static open(handle: SharedMutexHandle): SharedMutexProvider {
    return new SharedMutexProvider(SharedTable.open(handle));
  }

  get capabilities(): Capabilities {
    return SHARED_MUTEX_CAPABILITIES;
  }

  /** Structured-cloneable handle of the table. */
  get handle(): SharedMutexHandle {
    return { buffer: this.table.buffer };
  }

  /** Recovers every lock of the table that `worker` holds when it terminates, throws or exits. */
  watch(worker: Worker): this {
    watchWorker(this.table, worker);
    return this;
  }

  override close(): Promise<void> {
    // End this provider's waiters before BaseProvider releases live leases, so none is handed a grant.
    for (const runtime of SlotRuntime.ofTable(this.table)) {
      runtime.rejectTagged(this, SHARED_MUTEX_CAPABILITIES.backend);
    }
    return super.close();
  }

  protected createLock(name: string, options: LockOptions | undefined): SharedMutex {
    return new SharedMutex(name, options, { table: this.table, key: hash64(name), slot: 0, owner: this });
  }

  protected async closeBackend(): Promise<void> {}
}
