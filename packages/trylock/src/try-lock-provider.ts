import {
  BaseProvider,
  type Capabilities,
  type LockOptions,
  parseSettings,
  type ReadWriteLock,
} from '@lock/core';
import { TryLock } from './try-lock.js';
import { TryLockAdapter, type TryLockSource, tryLockCapabilities } from './try-lock-adapter.js';
import { TryLockReader } from './try-lock-reader.js';
import { type TryLockProviderOptions, tryLockSettings } from './try-lock-settings.js';
import { TryLockTable, type TryLockTableHandle } from './try-lock-table.js';
import { TrySemaphore } from './try-semaphore.js';
import { TrySemaphoreAdapter } from './try-semaphore-adapter.js';

/**
 * Named trylocks for every worker thread of a process: one SharedArrayBuffer holds a table of name slots, each
 * a {@link TryLock}, and a name claims a slot (by a 64-bit hash, with one compareExchange) the first time any
 * thread locks it. Post {@link TryLockProvider.handle} to workers and attach it there with
 * {@link TryLockProvider.attach}; `provider.lock(name)` then means the same lock in every thread. Fencing
 * tokens live in the slot, so they increase per name across threads. `readWriteLock(name)` adds the shared
 * mode to the same slot (its `write` side is `lock(name)`); `semaphore(name, permits)` claims a slot of
 * its own for the name. Nothing here waits.
 */
export class TryLockProvider extends BaseProvider<TryLockAdapter> {
  private readonly table: TryLockTable;
  // This thread's TryLock per name (one owner id per provider instance and name).
  private readonly locks = new Map<string, TryLock>();
  private readonly source: TryLockSource;

  /**
   * @param options - `capacity` (names, default 1024): the `trylock` kind's settings, checked by its schema
   *   (unknown keys are errors). Internally, a table attached from a handle.
   */
  constructor(options: TryLockProviderOptions | TryLockTable = {}) {
    super();
    this.table =
      options instanceof TryLockTable
        ? options
        : TryLockTable.create(parseSettings(tryLockSettings, options, 'options').capacity);
    const { table, locks } = this;
    this.source = {
      owner: this,
      capabilities: tryLockCapabilities(),
      get(name) {
        let lock = locks.get(name);
        if (lock === undefined) {
          lock = new TryLock(name, table.lockHandle(table.slotFor(name, true)));
          locks.set(name, lock);
        }
        return lock;
      },
    };
  }

  /** Attaches, in another thread, the table whose {@link TryLockProvider.handle} was posted there. */
  static attach(handle: TryLockTableHandle): TryLockProvider {
    return new TryLockProvider(TryLockTable.attach(handle));
  }

  /** The trylock kind's capabilities (`scope: 'threads'`): the table is shared by every thread that attaches it. */
  get capabilities(): Capabilities {
    return tryLockCapabilities();
  }

  /** Structured-cloneable handle of the table: post it and call {@link TryLockProvider.attach} in the worker. */
  get handle(): TryLockTableHandle {
    return { buffer: this.table.buffer };
  }

  /** Number of names (locks and semaphores) held right now by any thread (a snapshot; scans the table). */
  get size(): number {
    let held = 0;
    for (let slot = 0; slot < this.table.capacity; slot++) if (holdersAt(this.table, slot) !== 0) held++;
    return held;
  }

  /**
   * Grants of `name` held right now by any thread: 1 for a writer, the readers, plus the permits taken of a
   * semaphore of that name (a snapshot; a trylock never queues, so 0 means nothing is left of it).
   */
  pending(name: string): number {
    let held = 0;
    for (const kind of ['lock', 'semaphore'] as const) {
      const slot = this.table.slotFor(name, false, kind);
      if (slot >= 0) held += holdersAt(this.table, slot);
    }
    return held;
  }

  protected createLock(name: string, options: LockOptions | undefined): TryLockAdapter {
    // Claimed now, so a full table fails at lock(name) rather than at the first acquire.
    this.source.get(name);
    return new TryLockAdapter(name, undefined, options, this.source);
  }

  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteLock {
    return {
      name,
      read: new TryLockReader(name, this.source, options),
      write: this.createLock(name, options),
    };
  }

  protected override createSemaphore(
    name: string,
    permits: number,
    options: LockOptions | undefined,
  ): TrySemaphoreAdapter {
    const handle = this.table.lockHandle(this.table.slotFor(name, true, 'semaphore'));
    return new TrySemaphoreAdapter(name, new TrySemaphore(permits, handle, name), options, this.source);
  }

  protected async closeBackend(): Promise<void> {
    this.locks.clear();
  }
}

/** Grants held in `slot`: 1 for an exclusive holder, else the shared holders or permits (0 when free). */
function holdersAt(table: TryLockTable, slot: number): number {
  const { buffer, byteOffset } = table.lockHandle(slot);
  if (table.kindAt(slot) === 'semaphore') {
    return Number(Atomics.load(new BigInt64Array(buffer, byteOffset, 1), 0) & 0xffffffffn);
  }
  const state = Atomics.load(new Int32Array(buffer, byteOffset, 1), 0);
  return state > 0 ? 1 : -state;
}
