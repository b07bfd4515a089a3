import {
  hashName64,
  InvalidArgumentError,
  LockBackendError,
  processSharedBuffer,
  sharedBufferOf,
  UnsupportedCapabilityError,
} from '@lock/core';
import { TRY_LOCK_BYTES, type TryLockHandle } from './try-lock.js';
import { validateTryLockCapacity } from './try-lock-settings.js';

/**
 * Layout of a {@link TryLockProvider}'s table, one SharedArrayBuffer:
 * header (16 bytes): MAGIC, capacity, reserved;
 * keys: capacity x BigInt64, the 64-bit hash of the name that claimed each slot, its lowest bit the kind
 * (0 a lock, in both its modes; 1 a semaphore), 0 = free;
 * slots: capacity x 16 bytes, one {@link TryLock} (state, owner-id counter, 64-bit fence) or one
 * {@link TrySemaphore} (permits-and-holders word, 64-bit fence) per slot, as its key's kind says.
 * Layout 2: a lock's state word counts shared holders as its negative, and semaphores have slots.
 */
const MAGIC = 0x54524c32; // "TRL2"
const HEADER_BYTES = 16;

/** Environment-data key of the process's table of one capacity; versioned with the table layout. */
const PROCESS_TABLE_KEY = '@lock/trylock:process-table:v2';

/** What a worker needs to attach a {@link TryLockProvider}'s table; post it with `postMessage`. */
export interface TryLockTableHandle {
  /** The provider's table. */
  readonly buffer: SharedArrayBuffer;
}

/** Views and slot arithmetic over one table buffer. @internal */
export class TryLockTable {
  /** The table's memory, shared with every thread that attached it. */
  readonly buffer: SharedArrayBuffer;
  /** Number of name slots. */
  readonly capacity: number;
  private readonly keys: BigInt64Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.capacity = new Int32Array(buffer, 0, 2)[1]!;
    this.keys = new BigInt64Array(buffer, HEADER_BYTES, this.capacity);
  }

  /** Allocates a table of `capacity` names. */
  static create(capacity: number): TryLockTable {
    validateTryLockCapacity(capacity);
    const buffer = new SharedArrayBuffer(HEADER_BYTES + capacity * (8 + TRY_LOCK_BYTES));
    const header = new Int32Array(buffer, 0, 2);
    header[0] = MAGIC;
    header[1] = capacity;
    return new TryLockTable(buffer);
  }

  /**
   * The table of the process for one capacity: the same memory in every thread. The main thread creates it
   * on first use; a worker finds it if it was started after that, and otherwise refuses with
   * `UnsupportedCapabilityError` saying how to share it (a table of its own would exclude nothing outside).
   */
  static ofProcess(capacity: number): TryLockTable {
    const buffer = processSharedBuffer(
      `${PROCESS_TABLE_KEY}:${capacity}`,
      () => TryLockTable.create(capacity).buffer,
      () =>
        new UnsupportedCapabilityError(
          'trylock',
          'scope "threads" in this worker',
          `this worker cannot see the process's trylock table (capacity ${capacity}), so a lock made here would exclude nothing outside it. ` +
            `Create the provider (createProvider() of @lock/trylock, or a selector that uses it) in the main thread before starting workers: workers started afterwards find its table. ` +
            `Or post provider.handle to this worker and attach it there with TryLockProvider.attach(handle)`,
        ),
    );
    return TryLockTable.attach({ buffer });
  }

  /** Attaches a table from a handle posted by another thread; validates it first. */
  static attach(handle: TryLockTableHandle): TryLockTable {
    const buffer = sharedBufferOf(handle, {
      what: 'a TryLockProvider',
      handle: 'a TryLockProvider handle { buffer }',
      minBytes: HEADER_BYTES,
      magic: MAGIC,
    });
    const capacity = new Int32Array(buffer, 0, 2)[1]!;
    const expectedBytes = HEADER_BYTES + capacity * (8 + TRY_LOCK_BYTES);
    if (capacity < 1 || buffer.byteLength !== expectedBytes) {
      throw new InvalidArgumentError(
        'handle.buffer.byteLength',
        buffer.byteLength,
        `${expectedBytes} bytes, the length its header declares (capacity ${capacity})`,
      );
    }
    return new TryLockTable(buffer);
  }

  /** What `slot` holds, by its key's kind bit (a free slot reads as a lock). */
  kindAt(slot: number): SlotKind {
    return (Atomics.load(this.keys, slot) & 1n) === 1n ? 'semaphore' : 'lock';
  }

  /** Where the lock of `slot` lives, for `new TryLock(name, handle)`. */
  lockHandle(slot: number): TryLockHandle {
    return { buffer: this.buffer, byteOffset: HEADER_BYTES + this.capacity * 8 + slot * TRY_LOCK_BYTES };
  }

  /**
   * The slot of `name` as a lock or as a semaphore (`kind`; separate slots, so a lock and a semaphore of one
   * name are separate): found by its 64-bit hash, or claimed with one compareExchange on the key word when
   * `claim` is true; -1 when it has none and `claim` is false. Slots are never released (other threads may
   * hold handles to them). Two names whose hashes collide would share a slot: still exclusive, less concurrent.
   */
  slotFor(name: string, claim: boolean, kind: SlotKind = 'lock'): number {
    const key = hash64(name, kind);
    const start = Number(BigInt.asUintN(64, key) % BigInt(this.capacity));
    for (let probe = 0; probe < this.capacity; probe++) {
      const slot = (start + probe) % this.capacity;
      const seen = claim ? Atomics.compareExchange(this.keys, slot, 0n, key) : Atomics.load(this.keys, slot);
      if (seen === key || (claim && seen === 0n)) return slot;
      if (seen === 0n) return -1;
    }
    if (!claim) return -1;
    throw new LockBackendError('trylock', 'lock', {
      lockName: name,
      detail: `all ${this.capacity} name slots of the provider's table are taken; create the provider with a larger capacity`,
    });
  }
}

/** What a slot holds: a lock (both modes of a read-write lock) or a semaphore. @internal */
export type SlotKind = 'lock' | 'semaphore';

/**
 * The slot key of a name: core's 64-bit name hash with its lowest bit set to the kind, so a lock and a
 * semaphore never share a slot; never 0 (0 marks a free slot).
 */
function hash64(name: string, kind: SlotKind): bigint {
  const value = (hashName64(name) & ~1n) | (kind === 'semaphore' ? 1n : 0n);
  return value === 0n ? 2n : value;
}
