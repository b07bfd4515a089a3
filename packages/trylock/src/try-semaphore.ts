import { InvalidArgumentError, LockNotHeldError, PermitsMismatchError, validatePermits } from '@lock/core';
import { checkHandle, TRY_LOCK_BYTES, type TryLockHandle } from './try-lock.js';

/** Bytes one {@link TrySemaphore} occupies: a 64-bit permits-and-holders word and a 64-bit fence (as a TryLock). */
export const TRY_SEMAPHORE_BYTES = TRY_LOCK_BYTES;

const COUNT_BITS = 32n;
const COUNT_MASK = (1n << COUNT_BITS) - 1n;

/**
 * A non-blocking counting semaphore on 16 bytes of a SharedArrayBuffer: `tryLock()` takes one of `permits`
 * permits with a single `Atomics.compareExchange` on a 64-bit word that holds the permits its holders agreed
 * on (high half) and how many they are (low half), so the limit and the count change together. It never
 * waits. An acquisition with other permits than the current holders use throws `PermitsMismatchError`; the
 * first holder of a free semaphore sets them. Each instance is one owner of the permits it took: `unlock()`
 * from an instance that holds none throws `LockNotHeldError`. Each permit mints a fencing token from a 64-bit
 * counter in the same buffer, strictly increasing over all grants.
 *
 * @example
 * ```ts
 * const pool = new TrySemaphore(3);
 * worker.postMessage(pool.handle);          // in the worker: TrySemaphore.attach(handle, 3)
 * if (pool.tryLock()) {
 *   try { await runExport(pool.token); } finally { pool.unlock(); }
 * }
 * ```
 */
export class TrySemaphore {
  /** Where the semaphore lives; post it to a worker and call {@link TrySemaphore.attach} there. */
  readonly handle: TryLockHandle;
  /** The permits this instance asks for. */
  readonly permits: number;
  /** The name given to the constructor, used in errors; `undefined` for an unnamed semaphore. */
  readonly name: string | undefined;
  private readonly word: BigInt64Array;
  private readonly fence: BigInt64Array;
  private readonly wanted: bigint;
  private taken = 0;
  private lastToken = 0n;

  /**
   * @param permits - A whole number from 1 to 1,000,000.
   * @param handle - An existing semaphore to join (another instance's `handle`); omit to create one in a
   *   fresh 16-byte SharedArrayBuffer. `byteOffset` must be a multiple of 8 with 16 bytes after it.
   * @param name - Optional name used in errors.
   */
  constructor(permits: number, handle?: TryLockHandle, name?: string) {
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new InvalidArgumentError('name', name, 'a non-empty string or undefined');
    }
    validatePermits(permits, name);
    this.name = name;
    this.permits = permits;
    this.wanted = BigInt(permits);
    this.handle =
      handle === undefined
        ? { buffer: new SharedArrayBuffer(TRY_SEMAPHORE_BYTES), byteOffset: 0 }
        : checkHandle(handle);
    this.word = new BigInt64Array(this.handle.buffer, this.handle.byteOffset, 1);
    this.fence = new BigInt64Array(this.handle.buffer, this.handle.byteOffset + 8, 1);
  }

  /** Attaches a semaphore created elsewhere (in another worker) from its {@link TrySemaphore.handle}. */
  static attach(handle: TryLockHandle, permits: number, name?: string): TrySemaphore {
    return new TrySemaphore(permits, handle, name);
  }

  /**
   * Takes a permit if one is free; never waits. True if this instance now holds one more. Throws
   * `PermitsMismatchError` when the holders use other permits. No fairness: a free permit goes to whoever
   * tries first.
   */
  tryLock(): boolean {
    for (;;) {
      const seen = Atomics.load(this.word, 0);
      const holders = seen & COUNT_MASK;
      let next: bigint;
      if (holders === 0n) next = (this.wanted << COUNT_BITS) | 1n;
      else {
        const agreed = seen >> COUNT_BITS;
        if (agreed !== this.wanted) {
          throw new PermitsMismatchError(this.name ?? 'semaphore', this.permits, Number(agreed));
        }
        if (holders >= agreed) return false;
        next = seen + 1n;
      }
      if (Atomics.compareExchange(this.word, 0, seen, next) !== seen) continue;
      this.taken++;
      // Minted while holding, so a later holder's token is larger than every earlier one's.
      this.lastToken = Atomics.add(this.fence, 0, 1n) + 1n;
      return true;
    }
  }

  /** Gives back one permit. Throws `LockNotHeldError` if this instance holds none. */
  unlock(): void {
    if (!this.unlockIfHeld()) {
      throw new LockNotHeldError(this.name, 'unlock', 'this TrySemaphore instance holds no permit of it');
    }
  }

  /** Gives back one permit if this instance holds one; false otherwise (never another owner's). */
  unlockIfHeld(): boolean {
    if (this.taken === 0) return false;
    this.taken--;
    for (;;) {
      const seen = Atomics.load(this.word, 0);
      // The last holder out clears the agreed permits too, so the next first holder sets its own.
      const next = (seen & COUNT_MASK) === 1n ? 0n : seen - 1n;
      if (Atomics.compareExchange(this.word, 0, seen, next) === seen) return true;
    }
  }

  /** Permits held right now by every instance (a snapshot). */
  get holders(): number {
    return Number(Atomics.load(this.word, 0) & COUNT_MASK);
  }

  /** Permits this instance holds. */
  get heldHere(): number {
    return this.taken;
  }

  /** Fencing token of this instance's latest successful `tryLock()` (0n before the first). */
  get token(): bigint {
    return this.lastToken;
  }
}
