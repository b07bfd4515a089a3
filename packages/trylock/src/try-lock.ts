import { InvalidArgumentError, LockNotHeldError } from '@lock/core';

/** Bytes one {@link TryLock} occupies in a SharedArrayBuffer: state, owner-id counter, 64-bit fence. */
export const TRY_LOCK_BYTES = 16;

const STATE = 0;
const NEXT_OWNER = 1;
const FREE = 0;
/** The most shared holders one word counts (its negative range). */
const MOST_READERS = -0x7fffffff;

/** What a worker needs to attach a {@link TryLock}; post it with `postMessage` (it is structured-cloneable). */
export interface TryLockHandle {
  /** The shared memory holding the lock. */
  readonly buffer: SharedArrayBuffer;
  /** Where the lock's 16 bytes start in `buffer` (a multiple of 8). */
  readonly byteOffset: number;
}

/**
 * A non-blocking lock on one Int32 word of a SharedArrayBuffer: `tryLock()` is a single
 * `Atomics.compareExchange`, so it answers "is anyone already on this?" in nanoseconds, from any worker.
 * It never waits. Each instance is one owner: `unlock()` by anyone else throws `LockNotHeldError`, so a
 * stray unlock cannot free someone else's grant. Each successful `tryLock()` mints a fencing token from a
 * 64-bit counter in the same buffer.
 *
 * The same word has a shared mode (a read-write trylock): `tryLockShared()` takes a shared grant beside the
 * other shared grants, by compareExchange on a reader count kept as the word's negative (0 free, an owner
 * id for the exclusive holder, -n for n shared holders); `tryLock()` succeeds only on a free word, so it
 * excludes the readers and they exclude it. Shared grants mint tokens from the same counter.
 *
 * @example
 * ```ts
 * const lock = new TryLock();
 * worker.postMessage(lock.handle);            // in the worker: TryLock.attach(handle)
 * if (lock.tryLock()) {
 *   try { run(lock.token); } finally { lock.unlock(); }
 * } else console.log('lock failed');
 * ```
 */
export class TryLock {
  /** Where the lock lives; post it to a worker and call {@link TryLock.attach} there. */
  readonly handle: TryLockHandle;
  private readonly words: Int32Array;
  private readonly fence: BigInt64Array;
  /** The name given to the constructor, used in errors; `undefined` for an unnamed lock. */
  readonly name: string | undefined;
  private readonly ownerId: number;
  private lastToken = 0n;
  // Shared grants this instance holds: the owner check of unlockShared(), since readers are a count.
  private sharedHeld = 0;

  /**
   * @param name - Optional name used in errors (the name is not shared: each instance gives its own).
   * @param handle - An existing lock to join (from another instance's `handle`); omit to create a new one in
   *   a fresh 16-byte SharedArrayBuffer. `byteOffset` must be a multiple of 8 with 16 bytes after it.
   */
  constructor(name?: string, handle?: TryLockHandle) {
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new InvalidArgumentError('name', name, 'a non-empty string or undefined');
    }
    this.name = name;
    this.handle =
      handle === undefined
        ? { buffer: new SharedArrayBuffer(TRY_LOCK_BYTES), byteOffset: 0 }
        : checkHandle(handle);
    this.words = new Int32Array(this.handle.buffer, this.handle.byteOffset, 2);
    this.fence = new BigInt64Array(this.handle.buffer, this.handle.byteOffset + 8, 1);
    // Owner ids come from a counter in the buffer, so instances in different workers never share one.
    this.ownerId = Atomics.add(this.words, NEXT_OWNER, 1) + 1;
    // An id must fit the Int32 state word, or `held` would compare a wrapped value with this one.
    if (this.ownerId <= 0 || this.ownerId > 0x7fffffff) {
      throw new InvalidArgumentError(
        'handle',
        this.handle,
        `a lock joined by fewer than 2^31 TryLock instances (owner id ${this.ownerId} overflowed the owner counter)`,
        name,
      );
    }
  }

  /** Attaches a lock created elsewhere (in another worker) from its {@link TryLock.handle}. */
  static attach(handle: TryLockHandle, name?: string): TryLock {
    return new TryLock(name, handle);
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
      throw notHeld(this.name);
    }
  }

  /** Releases the lock if this instance holds it; false otherwise (never frees another owner's grant). */
  unlockIfHeld(): boolean {
    return Atomics.compareExchange(this.words, STATE, this.ownerId, FREE) === this.ownerId;
  }

  /**
   * Takes a shared grant if no exclusive holder has the lock; never waits. True if this instance now holds
   * one more shared grant. No fairness: readers that keep overlapping keep `tryLock()` failing.
   */
  tryLockShared(): boolean {
    for (;;) {
      const seen = Atomics.load(this.words, STATE);
      if (seen > FREE || seen === MOST_READERS) return false;
      if (Atomics.compareExchange(this.words, STATE, seen, seen - 1) !== seen) continue;
      this.sharedHeld++;
      this.lastToken = Atomics.add(this.fence, 0, 1n) + 1n;
      return true;
    }
  }

  /** Gives back one shared grant. Throws `LockNotHeldError` if this instance holds none. */
  unlockShared(): void {
    if (!this.unlockSharedIfHeld()) throw notHeld(this.name, 'shared');
  }

  /** Gives back one shared grant if this instance holds one; false otherwise (never another owner's). */
  unlockSharedIfHeld(): boolean {
    if (this.sharedHeld === 0) return false;
    this.sharedHeld--;
    // While readers hold, only readers change the word (tryLock needs it free), so an add is enough.
    Atomics.add(this.words, STATE, 1);
    return true;
  }

  /** True if any instance holds the lock right now, in either mode (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.words, STATE) !== FREE;
  }

  /** Shared grants held right now by every instance (a snapshot; 0 while an exclusive holder has it). */
  get readers(): number {
    const state = Atomics.load(this.words, STATE);
    return state < FREE ? -state : 0;
  }

  /** Shared grants this instance holds. */
  get sharedHeldHere(): number {
    return this.sharedHeld;
  }

  /** True if this instance holds the lock exclusively. */
  get held(): boolean {
    return Atomics.load(this.words, STATE) === this.ownerId;
  }

  /** Fencing token of this instance's latest successful `tryLock()` or `tryLockShared()` (0n before the first). */
  get token(): bigint {
    return this.lastToken;
  }
}

function notHeld(name: string | undefined, mode?: 'shared'): LockNotHeldError {
  // A TryLock has no lease: say what happened. An unnamed lock keeps `lockName` undefined.
  if (mode === 'shared') {
    return new LockNotHeldError(name, 'unlockShared', 'this TryLock instance holds no shared grant of it');
  }
  return new LockNotHeldError(name, 'unlock', 'it is not held by this TryLock instance');
}

/** Checks a posted handle: a SharedArrayBuffer and an aligned offset with 16 bytes after it. @internal */
export function checkHandle(handle: TryLockHandle): TryLockHandle {
  if (typeof handle !== 'object' || handle === null) {
    throw new InvalidArgumentError('handle', handle, 'a handle { buffer, byteOffset }');
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
