import { InvalidArgumentError, LockNotHeldError } from '@lock/core';

/** Bytes one {@link TryLock} occupies in a SharedArrayBuffer: state, owner-id counter, 64-bit fence. */
export const TRY_LOCK_BYTES = 16;

const STATE = 0;
const NEXT_OWNER = 1;
const FREE = 0;

/** What a worker needs to reopen a {@link TryLock}; post it with `postMessage` (it is structured-cloneable). */
export interface TryLockHandle {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
}

/**
 * A non-blocking lock on one Int32 word of a SharedArrayBuffer: `tryLock()` is a single
 * `Atomics.compareExchange`, so it answers "is anyone already on this?" in nanoseconds, from any worker.
 * It never waits. Each instance is one owner: `unlock()` by anyone else throws `LockNotHeldError`, so a
 * stray unlock cannot free someone else's grant. Each successful `tryLock()` mints a fencing token from a
 * 64-bit counter in the same buffer.
 *
 * @example
 * ```ts
 * const lock = new TryLock();
 * worker.postMessage(lock.handle);            // in the worker: TryLock.open(handle)
 * if (lock.tryLock()) {
 *   try { run(lock.token); } finally { lock.unlock(); }
 * } else console.log('lock failed');
 * ```
 */
export class TryLock {
  /** Where the lock lives; post it to a worker and call {@link TryLock.open} there. */
  readonly handle: TryLockHandle;
  private readonly words: Int32Array;
  private readonly fence: BigInt64Array;
  private readonly ownerId: number;
  private lastToken = 0n;

  /**
   * @param handle - An existing lock to join (from another instance's `handle`); omit to create a new one in
   *   a fresh 16-byte SharedArrayBuffer. `byteOffset` must be a multiple of 8 with 16 bytes after it.
   */
  constructor(handle?: TryLockHandle) {
    this.handle =
      handle === undefined
        ? { buffer: new SharedArrayBuffer(TRY_LOCK_BYTES), byteOffset: 0 }
        : checkHandle(handle);
    this.words = new Int32Array(this.handle.buffer, this.handle.byteOffset, 2);
    this.fence = new BigInt64Array(this.handle.buffer, this.handle.byteOffset + 8, 1);
    // Owner ids come from a counter in the buffer, so instances in different workers never share one.
    this.ownerId = Atomics.add(this.words, NEXT_OWNER, 1) + 1;
    if (this.ownerId <= 0) throw new RangeError('TryLock: more than 2^31 owners opened this lock');
  }

  /** Opens a lock created elsewhere (in another worker) from its {@link TryLock.handle}. */
  static open(handle: TryLockHandle): TryLock {
    return new TryLock(handle);
  }

  /** Takes the lock if it is free; never waits. True if this instance now holds it. */
  tryLock(): boolean {
    if (Atomics.compareExchange(this.words, STATE, FREE, this.ownerId) !== FREE) return false;
    // Minted while holding, so tokens increase strictly from holder to holder.
    this.lastToken = Atomics.add(this.fence, 0, 1n) + 1n;
    return true;
  }

  /** Releases the lock. Throws `LockNotHeldError` if this instance does not hold it. */
  unlock(): void {
    if (Atomics.compareExchange(this.words, STATE, this.ownerId, FREE) !== this.ownerId) {
      throw new LockNotHeldError('trylock', 'unlock');
    }
  }

  /** Releases the lock if this instance holds it; false otherwise (never frees another owner's grant). */
  unlockIfHeld(): boolean {
    return Atomics.compareExchange(this.words, STATE, this.ownerId, FREE) === this.ownerId;
  }

  /** True if any instance holds the lock right now (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.words, STATE) !== FREE;
  }

  /** True if this instance holds the lock. */
  get held(): boolean {
    return Atomics.load(this.words, STATE) === this.ownerId;
  }

  /** Fencing token of this instance's latest successful `tryLock()` (0n before the first). */
  get token(): bigint {
    return this.lastToken;
  }
}

function checkHandle(handle: TryLockHandle): TryLockHandle {
  if (typeof handle !== 'object' || handle === null) {
    throw new InvalidArgumentError('handle', handle, 'a TryLockHandle { buffer, byteOffset }');
  }
  if (!(handle.buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgumentError(
      'handle.buffer',
      handle.buffer,
      'a SharedArrayBuffer (a plain ArrayBuffer is not shared between workers)',
    );
  }
  const offset = handle.byteOffset;
  if (
    !Number.isInteger(offset) ||
    offset < 0 ||
    offset % 8 !== 0 ||
    offset + TRY_LOCK_BYTES > handle.buffer.byteLength
  ) {
    throw new InvalidArgumentError(
      'handle.byteOffset',
      offset,
      `a multiple of 8 with ${TRY_LOCK_BYTES} bytes after it inside the buffer (byteLength ${handle.buffer.byteLength})`,
    );
  }
  return { buffer: handle.buffer, byteOffset: offset };
}
