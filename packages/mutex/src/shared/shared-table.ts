import { threadId } from 'node:worker_threads';
import {
  InvalidArgumentError,
  processSharedBuffer,
  sharedBufferOf,
  UnsupportedCapabilityError,
} from '@lock/core';
import { validateTableShape } from './shared-mutex-settings.js';
import { INITIAL_CELL } from './ticket-cell.js';

/**
 * Memory layout of a shared-mutex table (one SharedArrayBuffer), in Int32 words.
 *
 * header (16 words): MAGIC, capacity, ring size, table id (2 words), reserved, RECLAIM_CURSOR, reserved,
 *   RETIRED_FENCE (BigInt64, words 8-9), reserved
 * keys: capacity x BigInt64, the 64-bit hash of the name each slot serves (0 = never used, VACANT_KEY = none)
 * slots: capacity x (10 + 3 x ring) words:
 *   NEXT      next ticket to hand out; moved on only after the ticket's ring cell is claimed (see ticket-queue)
 *   SERVING   the ticket at the head of the queue; moved on only by compareExchange from a known ticket
 *   OWNER     threadId + 1 of the exclusive holder inside its critical section, 0 otherwise
 *   DIED      1 when an exclusive holder died inside its section; read and cleared by the next holder
 *   GEN       generation of the slot's name: odd while the slot is being given to another name, even otherwise
 *   PERMITS   what the name is: 0 a mutex, -1 a read-write lock, N a semaphore of N permits; written only by
 *             the thread at the head of the queue (see slot-mode)
 *   FENCE     BigInt64 fencing counter (words 6-7)
 *   RELEASES  bumped by every release of a shared grant (and by the recovery of a thread that held some)
 *   DRAINING  1 while the head of the queue sleeps on RELEASES, waiting for shared holders to leave
 *   RING      ring cells, cell[ticket & (ring - 1)]: the ticket's lap, a sleeping flag and its thread
 *   SHARES    ring x (thread, count): the threads holding shared grants (readers, permits), and how many
 * @internal
 */
export const MAGIC = 0x4c4b5633; // "LKV3": the third layout; a table of an older one is refused, not misread
const HEADER_WORDS = 16;
const H_MAGIC = 0;
const H_CAPACITY = 1;
const H_RING = 2;
const H_ID_LOW = 3;
const H_ID_HIGH = 4;
/** Header word: where the next search for an idle slot starts (spreads reuse over the table). @internal */
export const RECLAIM_CURSOR = 6;
/** BigInt64 index of the highest token any slot had issued when it was given to another name. @internal */
export const RETIRED_FENCE = 4;

/** @internal */
export const NEXT = 0;
/** @internal */
export const SERVING = 1;
/** @internal */
export const OWNER = 2;
/** @internal */
export const DIED = 3;
/** @internal */
export const GEN = 4;
/** @internal */
export const PERMITS = 5;
const FENCE_WORD = 6;
/** @internal */
export const RELEASES = 8;
/** @internal */
export const DRAINING = 9;
/** @internal */
export const RING_START = 10;

/** Environment-data key of the process's table of one shape; versioned with the table layout. */
const PROCESS_TABLE_KEY = '@lock/mutex:process-table:v3';

/** What a worker needs to attach a shared mutex or provider; post it with `postMessage`. */
export interface SharedMutexHandle {
  readonly buffer: SharedArrayBuffer;
}

/** This thread's id in ring cells and the OWNER word: `threadId + 1`, so 0 can mean "nobody". @internal */
export const SELF = threadId + 1;

/** Views and slot arithmetic over one table buffer. @internal */
export class SharedTable {
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly wide: BigInt64Array;
  readonly capacity: number;
  readonly ring: number;
  /** log2(ring): a ticket's lap is `ticket >>> ringShift`. */
  readonly ringShift: number;
  readonly id: string;
  /** BigInt64 index of the first name key. */
  readonly keysStart: number;
  /** Offset in a slot of its first share entry (two words each: thread, count). */
  readonly sharesStart: number;
  private readonly slotsStart: number;
  private readonly slotWords: number;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
    this.wide = new BigInt64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
    this.capacity = this.words[H_CAPACITY]!;
    this.ring = this.words[H_RING]!;
    this.ringShift = 31 - Math.clz32(this.ring);
    this.id = `${this.words[H_ID_HIGH]}:${this.words[H_ID_LOW]}`;
    this.keysStart = HEADER_WORDS / 2;
    this.sharesStart = RING_START + this.ring;
    this.slotWords = RING_START + this.ring * 3;
    this.slotsStart = HEADER_WORDS + this.capacity * 2;
  }

  /** Allocates a new table. */
  static create(capacity: number, maxThreads: number): SharedTable {
    validateTableShape(capacity, maxThreads);
    const words = HEADER_WORDS + capacity * 2 + capacity * (RING_START + maxThreads * 3);
    const buffer = new SharedArrayBuffer(words * 4);
    const view = new Int32Array(buffer);
    view[H_MAGIC] = MAGIC;
    view[H_CAPACITY] = capacity;
    view[H_RING] = maxThreads;
    // A per-table id, so every handle of one table in one thread shares one queue state (see SlotRuntime).
    view[H_ID_LOW] = (Math.random() * 2 ** 31) | 0;
    view[H_ID_HIGH] = (Math.random() * 2 ** 31) | 0;
    const table = new SharedTable(buffer);
    // Every cell starts as "the ticket one lap before was passed", so ticket 0 of each cell can be claimed.
    for (let slot = 0; slot < capacity; slot++) {
      const base = table.base(slot);
      view.fill(INITIAL_CELL, base + RING_START, base + RING_START + maxThreads);
    }
    return table;
  }

  /**
   * The table of the process for one shape: the same memory in every thread. The main thread creates it on
   * first use; a worker finds it if it was started after that, and otherwise refuses with
   * `UnsupportedCapabilityError` saying how to share it (a table of its own would exclude nothing outside).
   */
  static ofProcess(capacity: number, maxThreads: number): SharedTable {
    const buffer = processSharedBuffer(
      `${PROCESS_TABLE_KEY}:${capacity}:${maxThreads}`,
      () => SharedTable.create(capacity, maxThreads).buffer,
      () =>
        new UnsupportedCapabilityError(
          'shared-mutex',
          'scope "threads" in this worker',
          `this worker cannot see the process's shared-mutex table (capacity ${capacity}, maxThreads ${maxThreads}), so a lock made here would exclude nothing outside it. ` +
            `Create the provider (createProvider({ backend: 'shared-mutex' }) or a selector that uses it) in the main thread before starting workers: workers started afterwards find its table. ` +
            `Or post provider.handle to this worker and attach it there with SharedMutexProvider.attach(handle)`,
        ),
    );
    return SharedTable.attach({ buffer });
  }

  /** Attaches a table from a handle posted by another thread; validates it first. */
  static attach(handle: SharedMutexHandle): SharedTable {
    const buffer = sharedBufferOf(handle, {
      what: 'a shared mutex',
      handle: 'a SharedMutexHandle { buffer }',
      minBytes: HEADER_WORDS * 4,
      magic: MAGIC,
    });
    const table = new SharedTable(buffer);
    const ring = table.ring;
    const expectedBytes = (table.slotsStart + table.capacity * table.slotWords) * 4;
    if (table.capacity < 1 || ring < 2 || (ring & (ring - 1)) !== 0 || buffer.byteLength !== expectedBytes) {
      throw new InvalidArgumentError(
        'handle.buffer.byteLength',
        buffer.byteLength,
        `${expectedBytes} bytes, the length its header declares (capacity ${table.capacity}, maxThreads ${ring})`,
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

  /** BigInt64 index of the name key of `slot`. */
  keyIndex(slot: number): number {
    return this.keysStart + slot;
  }
}
