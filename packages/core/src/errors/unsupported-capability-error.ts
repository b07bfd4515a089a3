import { forLock, LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.UnsupportedCapabilityError');

/** The caller asked a backend for something it does not do (a trylock asked to wait, say). */
export class UnsupportedCapabilityError extends LockError {
  /** @internal */
  readonly [marker] = true;
  /** The backend, as in `capabilities.backend`. */
  readonly backend: string;
  /** The capability that was asked for. */
  readonly capability: string;

  constructor(backend: string, capability: string, detail: string, lockName?: string) {
    super(
      'UNSUPPORTED_CAPABILITY',
      `${backend} does not support ${capability}${forLock(lockName)}: ${detail}`,
      {
        lockName,
      },
    );
    this.name = 'UnsupportedCapabilityError';
    this.backend = backend;
    this.capability = capability;
  }

  static override isInstance(value: unknown): value is UnsupportedCapabilityError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
