import { forLock, LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.ProviderClosedError');

/** A lock or provider was used after `close()`. */
export class ProviderClosedError extends LockError {
  /** @internal */
  readonly [marker] = true;
  /** The backend, as in `capabilities.backend`. */
  readonly backend: string;

  constructor(backend: string, operation: string, lockName?: string) {
    super('PROVIDER_CLOSED', `Cannot ${operation}${forLock(lockName)}: the ${backend} provider is closed`, {
      lockName,
    });
    this.name = 'ProviderClosedError';
    this.backend = backend;
  }

  static override isInstance(value: unknown): value is ProviderClosedError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
