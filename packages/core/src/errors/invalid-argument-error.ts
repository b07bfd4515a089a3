import { holdsSecret, redactedValue } from '../redact.js';
import { describeValue, forLock, LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.InvalidArgumentError');

/**
 * Bad input: thrown before any I/O, naming the parameter, what it must be and the value received.
 *
 * @example `Invalid ttlMs: expected a positive integer number of milliseconds, received -5 (lock "orders")`
 */
export class InvalidArgumentError extends LockError {
  /** @internal */
  readonly [marker] = true;
  /** The parameter, with a path for nested options (`options.timeoutMs`). */
  readonly parameter: string;
  /** The value that was received (`'***'` when it holds a secret: see `redactSettings`). */
  readonly value: unknown;
  /** What the parameter must be. */
  readonly expected: string;

  constructor(parameter: string, value: unknown, expected: string, lockName?: string) {
    // A password or key given wrongly is still a password or key: neither the message nor `value` shows it.
    const shown = holdsSecret(value, parameter) ? redactedValue(value, parameter) : value;
    super(
      'INVALID_ARGUMENT',
      `Invalid ${parameter}: expected ${expected}, received ${describeValue(shown)}${forLock(lockName)}`,
      {
        lockName,
      },
    );
    this.name = 'InvalidArgumentError';
    this.parameter = parameter;
    this.value = shown;
    this.expected = expected;
  }

  static override isInstance(value: unknown): value is InvalidArgumentError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
