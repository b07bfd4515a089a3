import type { Worker } from 'node:worker_threads';
import {
  BaseProvider,
  type Capabilities,
  type LockOptions,
  parseSettings,
  type ReadWriteLock,
} from '@lock/core';
import { SharedMutex, sharedMutexCapabilities, watchWorker } from './shared-mutex.js';
import { type SharedMutexProviderOptions, sharedMutexSettings } from './shared-mutex-settings.js';
import { type SharedMutexHandle, SharedTable } from './shared-table.js';
import { permitMode, READ, type SlotMode, WRITE } from './slot-mode.js';
import { hash64 } from './slot-names.js';
import { SlotRuntime } from './slot-runtime.js';

/**
 * Named shared mutexes for every worker thread that attaches the same table: one SharedArrayBuffer holds a
 * table of slots, and a name claims a slot (by a 64-bit hash, with one compareExchange) the first time any
 * thread locks it; once every slot has been used, a new name takes the slot of a name nobody holds or waits
 * for. Post {@link SharedMutexProvider.handle} to workers and attach it there with
 * {@link SharedMutexProvider.attach}; `provider.lock(name)` then means the same lock in every thread.
 * `new SharedMutexProvider()` makes a table of its own; `createProvider({ backend: 'shared-mutex' })` uses
 * the table of the process, which workers started afterwards find by themselves.
 *
 * `provider.readWriteLock(name)` and `provider.semaphore(name, permits)` live in the same table and queue:
 * readers and permits are shared grants counted per thread in the name's slot (a dead thread's are given
 * back by `watch`), writers and mutexes exclusive ones; arrival order holds across modes and threads.
 */
export class SharedMutexProvider extends BaseProvider<SharedMutex> {
  /** @internal */
  readonly table: SharedTable;

  /**
   * @param options - `capacity` (named slots, default 256) and `maxThreads` (a power of two, default 64):
   *   the `shared-mutex` kind's settings, checked by its schema (unknown keys are errors). Internally, a
   *   table attached from a handle.
   */
  constructor(options: SharedMutexProviderOptions | SharedTable = {}) {
    super();
    if (options instanceof SharedTable) {
      this.table = options;
    } else {
      const { capacity, maxThreads } = parseSettings(sharedMutexSettings, options, 'options');
      this.table = SharedTable.create(capacity, maxThreads);
    }
  }

  /** Attaches, in another thread, the table whose {@link SharedMutexProvider.handle} was posted there. */
  static attach(handle: SharedMutexHandle): SharedMutexProvider {
    return new SharedMutexProvider(SharedTable.attach(handle));
  }

  get capabilities(): Capabilities {
    return sharedMutexCapabilities();
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
      runtime.rejectTagged(this, sharedMutexCapabilities().backend);
    }
    return super.close();
  }

  protected createLock(name: string, options: LockOptions | undefined): SharedMutex {
    return this.lockIn(name, options, undefined);
  }

  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteLock {
    return { name, read: this.lockIn(name, options, READ), write: this.lockIn(name, options, WRITE) };
  }

  protected override createSemaphore(
    name: string,
    permits: number,
    options: LockOptions | undefined,
  ): SharedMutex {
    return this.lockIn(name, options, permitMode(permits));
  }

  private lockIn(name: string, options: LockOptions | undefined, mode: SlotMode | undefined): SharedMutex {
    return new SharedMutex(name, options, {
      table: this.table,
      key: hash64(name),
      slot: 0,
      owner: this,
      mode,
    });
  }

  protected async closeBackend(): Promise<void> {}
}
