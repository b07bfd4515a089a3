import { LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.PermitsMismatchError');

/**
 * A semaphore was acquired with another number of permits than its current holders or waiters use. The
 * limit of a name is whatever its holders agree on; an acquisition that disagrees is refused rather than
 * silently changing it (or silently obeying a different one).
 */
export class PermitsMismatchError extends LockError {
  /** @internal */
  readonly [marker] = true;
  /** The permits this acquisition asked for. */
  readonly permits: number;
  /** The permits the name's holders and waiters use. */
  readonly existingPermits: number;

  constructor(lockName: string, permits: number, existingPermits: number) {
    super(
      'PERMITS_MISMATCH',
      `Semaphore ${JSON.stringify(lockName)} was acquired with ${permits} permits, but its holders and waiters use ${existingPermits}: every holder of one name must use the same number of permits`,
      { lockName },
    );
    this.name = 'PermitsMismatchError';
    this.permits = permits;
    this.existingPermits = existingPermits;
  }

  static override isInstance(value: unknown): value is PermitsMismatchError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
