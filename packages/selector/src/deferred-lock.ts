import {
  type AcquireOptions,
  type Capabilities,
  type Lease,
  type Lock,
  raceSignal,
  validateAcquireOptions,
  validateFunction,
} from '@lock/core';

/**
 * A `Lock` whose backend is still being created (a provider whose creation is asynchronous: it connects
 * first): every call waits for the real lock and then delegates, so `selector.lock()` can stay synchronous
 * like `provider.lock()`.
 *
 * Options are validated before anything waits, as every lock does. Connecting is the backend's first answer,
 * so by the one rule of `timeoutMs` (it bounds the wait for a holder, not the server's answer) the wait for
 * the provider is bounded by the provider's own connection timeouts and by the call's `signal`, not by
 * `timeoutMs`; once connected, the call goes to the real lock with its options unchanged. A provider that
 * cannot be created fails the call with its error (a `LockBackendError`); it is not cached, so the next
 * `selector.lock()` tries again, while this lock keeps rejecting with that failure.
 */
export class DeferredLock implements Lock {
  /** The lock name. */
  readonly name: string;
  private readonly target: Promise<Lock>;
  private resolved: Lock | undefined;
  private readonly declared: Capabilities;

  /**
   * @param declared the capabilities the backend's kind declares, reported until the real lock exists
   * @param target the real lock, once its provider is created
   */
  constructor(name: string, declared: Capabilities, target: Promise<Lock>) {
    this.name = name;
    this.declared = declared;
    this.target = target.then((lock) => {
      this.resolved = lock;
      return lock;
    });
    // A failure is reported by the call that waits for it; do not also report it as unhandled.
    this.target.catch(() => {});
  }

  /** The backend's own capabilities once it exists, the declared ones before (the same, by its kind). */
  get capabilities(): Capabilities {
    return this.resolved?.capabilities ?? this.declared;
  }

  /** `Lock.acquire`, once the backend exists. */
  async acquire(options?: AcquireOptions): Promise<Lease> {
    validateAcquireOptions(options, this.name);
    return (await this.ready(options)).acquire(options);
  }

  /** `Lock.tryAcquire`, once the backend exists. */
  async tryAcquire(options?: Omit<AcquireOptions, 'timeoutMs'>): Promise<Lease | null> {
    validateAcquireOptions(options, this.name, false);
    return (await this.ready(options)).tryAcquire(options);
  }

  /** `Lock.withLock`, once the backend exists. */
  async withLock<T>(fn: (lease: Lease) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    validateFunction('fn', fn, this.name);
    validateAcquireOptions(options, this.name);
    return (await this.ready(options)).withLock(fn, options);
  }

  private ready(options: AcquireOptions | undefined): Promise<Lock> | Lock {
    if (this.resolved !== undefined) return this.resolved;
    return raceSignal(this.target, options?.signal);
  }
}
