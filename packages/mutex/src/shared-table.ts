import { threadId } from 'node:worker_threads';
import { InvalidArgumentError, LockBackendError } from '@lock/core';

/**
 * Memory layout of a shared-mutex table (one SharedArrayBuffer), in Int32 words.
 *
 * header (16 words): MAGIC, capacity, ring size, table id (2 words), reserved
 * keys: capacity x BigInt64, the 64-bit hash of the name that claimed each slot (0 = free)
 * slots: capacity x (8 + ring) words:
 *   NEXT      next ticket to hand out (Atomics.add)
 *   SERVING   ticket allowed to hold the lock; changed only by compareExchange from a known value, so two
 *             parties racing to pass the same ticket on can never advance it twice
 *   OWNER     threadId + 1 of the holder, 0 when free; set first thing by a new holder
 *   WAITERS   threads asleep on SERVING; a releaser calls Atomics.notify only when it is non-zero
 *   DIED      1 when the previous holder's thread died holding the lock; read and cleared by the next holder
 *   OUTSTANDING tickets handed out and not yet passed; at most `ring`, so ring cells never collide
 *   FENCE     BigInt64 fencing counter (words 6-7)
 *   RING      ring cells: cell[ticket & (ring - 1)] = threadId + 1 of the ticket's thread, 0 when free,
 *             ABANDONED when that thread died while queued
 * @internal
 */
export const MAGIC = 0x4c4f434b; // "LOCK"
const HEADER_WORDS = 16;
const H_MAGIC = 0;
const H_CAPACITY = 1;
const H_RING = 2;
const H_ID_LOW = 3;
const H_ID_HIGH = 4;

/** @internal */
export const NEXT = 0;
/** @internal */
export const SERVING = 1;
/** @internal */
export const OWNER = 2;
/** @internal */
export const WAITERS = 3;
/** @internal */
export const DIED = 4;
/** @internal */
export const OUTSTANDING = 5;
const FENCE_WORD = 6;
/** @internal */
export const RING_START = 8;
/** @internal */
export const ABANDONED = -1;

/** Default number of named slots in a provider's table. */
export const DEFAULT_CAPACITY = 256;
/** Default most threads that may queue for one lock at once (a power of two). */
export const DEFAULT_MAX_THREADS = 64;

/** What a worker needs to reopen a shared mutex or provider; post it with `postMessage`. */
export interface SharedMutexHandle {
  readonly buffer: SharedArrayBuffer;
}

/** This thread's id in the ring cells and OWNER word: `threadId + 1`, so 0 can mean "nobody". @internal */
export const SELF = threadId + 1;

/** Views and slot arithmetic over one table buffer. @internal */
export class SharedTable {
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly wide: BigInt64Array;
  readonly capacity: number;
  readonly ring: number;
  readonly id: string;
  private readonly keysStart: number;
  private readonly slotsStart: number;
  private readonly slotWords: number;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
    this.wide = new BigInt64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
    this.capacity = this.words[H_CAPACITY]!;
    this.ring = this.words[H_RING]!;
    this.id = `${this.words[H_ID_HIGH]}:${this.words[H_ID_LOW]}`;
    this.keysStart = HEADER_WORDS / 2; // in BigInt64 units
    this.slotWords = RING_START + this.ring;
    this.slotsStart = HEADER_WORDS + this.capacity * 2;
  }

  /** Allocates a new table. */
  static create(capacity: number, maxThreads: number): SharedTable {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
      throw new InvalidArgumentError(
        'options.capacity',
        capacity,
        'an integer number of slots from 1 to 1048576',
      );
    }
    if (
      !Number.isInteger(maxThreads) ||
      maxThreads < 2 ||
      maxThreads > 4096 ||
      (maxThreads & (maxThreads - 1)) !== 0
    ) {
      throw new InvalidArgumentError('options.maxThreads', maxThreads, 'a power of two from 2 to 4096');
    }
    const words = HEADER_WORDS + capacity * 2 + capacity * (RING_START + maxThreads);
    const buffer = new SharedArrayBuffer(words * 4);
    const view = new Int32Array(buffer);
    view[H_MAGIC] = MAGIC;
    view[H_CAPACITY] = capacity;
    view[H_RING] = maxThreads;
    // A per-table id, so every handle of one table in one thread shares one queue state (see SlotRuntime).
    view[H_ID_LOW] = (Math.random() * 2 ** 31) | 0;
    view[H_ID_HIGH] = (Math.random() * 2 ** 31) | 0;
    return new SharedTable(buffer);
  }

  /** Reopens a table from a handle posted by another thread; validates it first. */
  static open(handle: SharedMutexHandle): SharedTable {
    if (typeof handle !== 'object' || handle === null) {
      throw new InvalidArgumentError('handle', handle, 'a SharedMutexHandle { buffer }');
    }
    const buffer = handle.buffer;
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new InvalidArgumentError(
        'handle.buffer',
        buffer,
        'a SharedArrayBuffer (a plain ArrayBuffer is not shared between workers)',
      );
    }
    if (buffer.byteLength < HEADER_WORDS * 4) {
      throw new InvalidArgumentError(
        'handle.buffer.byteLength',
        buffer.byteLength,
        `at least ${HEADER_WORDS * 4} bytes: the buffer of a shared mutex (from .handle)`,
      );
    }
    const magic = new Int32Array(buffer, 0, 1)[0]!;
    if (magic !== MAGIC) {
      throw new InvalidArgumentError(
        'handle.buffer',
        `a buffer whose first word is 0x${(magic >>> 0).toString(16)}`,
        `the buffer of a shared mutex (from .handle), whose first word is 0x${MAGIC.toString(16)}`,
      );
    }
    const table = new SharedTable(buffer);
    const expectedBytes = (table.slotsStart + table.capacity * table.slotWords) * 4;
    if (table.capacity < 1 || table.ring < 2 || buffer.byteLength !== expectedBytes) {
      throw new InvalidArgumentError(
        'handle.buffer.byteLength',
        buffer.byteLength,
        `${expectedBytes} bytes, the length its header declares (capacity ${table.capacity}, maxThreads ${table.ring})`,
      );
    }
    return table;
  }

  /** First Int32 word of `slot`. */
  base(slot: number): number {
    return this.slotsStart + slot * this.slotWords;
  }

  /** BigInt64 index of the fence counter of the slot starting at `base`. */
  fenceIndex(base: number): number {
    return (base + FENCE_WORD) / 2;
  }

  /** Int32 index of the ring cell of `ticket` in the slot starting at `base`. */
  cell(base: number, ticket: number): number {
    return base + RING_START + (ticket & (this.ring - 1));
  }

  /**
   * The slot of `name`: found by its 64-bit hash, or claimed with one compareExchange on the key word.
   * Slots are never released (other threads may hold handles to them). Two names whose 64-bit hashes
   * collide would share a slot: still mutually exclusive, only less concurrent.
   */
  slotFor(name: string): number {
    const key = hash64(name);
    const start = Number(BigInt.asUintN(64, key) % BigInt(this.capacity));
    for (let probe = 0; probe < this.capacity; probe++) {
      const slot = (start + probe) % this.capacity;
      const index = this.keysStart + slot;
      const seen = Atomics.compareExchange(this.wide, index, 0n, key);
      if (seen === 0n || seen === key) return slot;
    }
    throw new LockBackendError('shared-mutex', 'lock', {
      lockName: name,
      cause: new RangeError(
        `all ${this.capacity} slots of the shared table are taken; create the provider with a larger capacity`,
      ),
    });
  }
}

/** FNV-1a, 64-bit, over UTF-16 code units; never 0 (0 marks a free slot). */
function hash64(name: string): bigint {
  let low = 0x84222325 >>> 0;
  let high = 0xcbf29ce4 >>> 0;
  for (let index = 0; index < name.length; index++) {
    low ^= name.charCodeAt(index);
    // Multiply the 64-bit (high, low) by the FNV prime 0x100000001b3 in 32-bit halves.
    const lowProduct = Math.imul(low, 0x1b3);
    const carry = Math.floor(((low >>> 0) * 0x1b3) / 2 ** 32);
    high = (Math.imul(high, 0x1b3) + Math.imul(low, 0x100) + carry) >>> 0;
    low = lowProduct >>> 0;
  }
  const value = BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low));
  return value === 0n ? 1n : value;
}
