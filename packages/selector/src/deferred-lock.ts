import type { AcquireOptions, Capabilities, Lease, Lock } from '@lock/core';

/**
 * A `Lock` whose backend is still being created (a provider whose `createProvider` is asynchronous): every
 * call waits for the real lock and then delegates, so `selector.lock()` can stay synchronous like
 * `provider.lock()`.
 */
export class DeferredLock implements Lock {
  readonly name: string;
  private readonly target: Promise<Lock>;
  private resolved: Lock | undefined;
  private readonly declared: Capabilities;

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

  /** The backend's own capabilities once it exists, the declared ones before. */
  get capabilities(): Capabilities {
    return this.resolved?.capabilities ?? this.declared;
  }

  async acquire(options?: AcquireOptions): Promise<Lease> {
    return (await this.target).acquire(options);
  }

  async tryAcquire(options?: Omit<AcquireOptions, 'timeoutMs'>): Promise<Lease | null> {
    return (await this.target).tryAcquire(options);
  }

  async withLock<T>(fn: (lease: Lease) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    return (await this.target).withLock(fn, options);
  }
}
