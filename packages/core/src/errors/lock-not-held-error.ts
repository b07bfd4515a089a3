import { LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.LockNotHeldError');

/**
 * An operation that needs a held grant was called without one: `extend()` on a lease that was already
 * released, or an `unlock()` by an instance that does not hold the lock.
 */
export class LockNotHeldError extends LockError {
  /** @internal */
  readonly [marker] = true;

  /**
   * @param lockName the lock, or undefined for an unnamed one
   * @param operation what was attempted (`extend`, `unlock`)
   * @param detail why it is not held; default "this lease was already released"
   */
  constructor(lockName: string | undefined, operation: string, detail = 'this lease was already released') {
    super(
      'LOCK_NOT_HELD',
      `Cannot ${operation} ${lockName === undefined ? 'this lock' : `lock ${JSON.stringify(lockName)}`}: ${detail}`,
      { lockName },
    );
    this.name = 'LockNotHeldError';
  }

  static override isInstance(value: unknown): value is LockNotHeldError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
