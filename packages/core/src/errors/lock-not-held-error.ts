import { LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.LockNotHeldError');

/** An operation that needs a held grant (`extend()`) was called on a lease that was already released. */
export class LockNotHeldError extends LockError {
  /** @internal */
  readonly [marker] = true;

  constructor(lockName: string, operation: string) {
    super(
      'LOCK_NOT_HELD',
      `Cannot ${operation} lock ${JSON.stringify(lockName)}: this lease was already released`,
      {
        lockName,
      },
    );
    this.name = 'LockNotHeldError';
  }

  static override isInstance(value: unknown): value is LockNotHeldError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
