const marker = Symbol.for('@lock/core.LockError');

/** Machine-readable error codes, one per error class. */
export type LockErrorCode =
  | 'INVALID_ARGUMENT'
  | 'LOCK_TIMEOUT'
  | 'LOCK_LOST'
  | 'LOCK_NOT_HELD'
  | 'LOCK_BACKEND'
  | 'UNSUPPORTED_CAPABILITY'
  | 'NO_BACKEND_SATISFIES'
  | 'PERMITS_MISMATCH'
  | 'PROVIDER_CLOSED';

/** Fields shared by every {@link LockError}. */
export interface LockErrorOptions {
  /** Name of the lock the error is about, when there is one. */
  lockName?: string | undefined;
  /** The underlying error (a backend's, a socket's), kept for diagnosis. */
  cause?: unknown;
}

/**
 * Base class of every error this project throws on purpose.
 *
 * Recognise errors with the static `isInstance()` of the class rather than `instanceof`: it checks a
 * `Symbol.for` marker, so two copies of `@lock/core` in one dependency tree still agree.
 */
export class LockError extends Error {
  /** @internal */
  readonly [marker] = true;
  /** Stable code for programmatic handling. */
  readonly code: LockErrorCode;
  /** Name of the lock the error is about, when there is one. */
  readonly lockName: string | undefined;

  constructor(code: LockErrorCode, message: string, options: LockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LockError';
    this.code = code;
    this.lockName = options.lockName;
  }

  /** True for any error thrown by this project, from any copy of the package. */
  static isInstance(value: unknown): value is LockError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** Describes a received value for an error message: type and a short rendering. @internal */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
    case 'number':
      return Number.isNaN(value) ? 'NaN' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'function':
      return `function ${value.name || '(anonymous)'}`;
    case 'object': {
      const constructorName = (value as object).constructor?.name;
      return constructorName && constructorName !== 'Object'
        ? `an instance of ${constructorName}`
        : 'an object';
    }
    default:
      return String(value);
  }
}

/** Suffix naming the lock in a message, or nothing. @internal */
export function forLock(lockName: string | undefined): string {
  return lockName === undefined ? '' : ` (lock ${JSON.stringify(lockName)})`;
}
