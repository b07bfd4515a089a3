import { LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.LockTimeoutError');

/** `acquire()` waited `timeoutMs` (on the monotonic clock) without being granted the lock. */
export class LockTimeoutError extends LockError {
  /** @internal */
  readonly [marker] = true;
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(lockName: string, timeoutMs: number) {
    super(
      'LOCK_TIMEOUT',
      timeoutMs === 0
        ? `Lock ${JSON.stringify(lockName)} is held and timeoutMs is 0, so acquire did not wait`
        : `Timed out after ${timeoutMs} ms waiting for lock ${JSON.stringify(lockName)}`,
      { lockName },
    );
    this.name = 'LockTimeoutError';
    this.timeoutMs = timeoutMs;
  }

  static override isInstance(value: unknown): value is LockTimeoutError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
