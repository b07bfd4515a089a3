import { redactText } from '../redact.js';
import { forLock, LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.LockBackendError');

/**
 * The backend failed or could not be reached (connection refused, quorum not reached, server error).
 * Distinct from "held by another" (a timeout or `null` from `tryAcquire`) and from "lost" ({@link LockLostError}).
 * The original error is in `cause`.
 */
export class LockBackendError extends LockError {
  /** @internal */
  readonly [marker] = true;
  /** The backend, as in `capabilities.backend`. */
  readonly backend: string;
  /** The operation that failed (`acquire`, `release`, `extend`, `connect`, ...). */
  readonly operation: string;

  constructor(
    backend: string,
    operation: string,
    options: { lockName?: string; cause?: unknown; detail?: string } = {},
  ) {
    const causeText = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      'LOCK_BACKEND',
      // A driver's message can quote a connection string: URL passwords and private keys never get through.
      redactText(
        `${backend} ${operation} failed${forLock(options.lockName)}${options.detail ? `: ${options.detail}` : causeText}`,
      ),
      { lockName: options.lockName, cause: options.cause },
    );
    this.name = 'LockBackendError';
    this.backend = backend;
    this.operation = operation;
  }

  static override isInstance(value: unknown): value is LockBackendError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
