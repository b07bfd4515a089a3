import {
  type AcquireOptions,
  type Capabilities,
  type Lease,
  type Lock,
  LockTimeoutError,
  raceSignal,
  validateAcquireOptions,
  validateFunction,
} from '@lock/core';

/**
 * A `Lock` whose backend is still being created (a provider whose `createProvider` is asynchronous): every
 * call waits for the real lock and then delegates, so `selector.lock()` can stay synchronous like
 * `provider.lock()`.
 *
 * Options are validated before anything waits, as every lock does. The wait for the backend counts against
 * the call's `timeoutMs` and ends on its `signal`: `acquire({ timeoutMs })` rejects with `LockTimeoutError`
 * (and `signal.reason` on abort) whether the time went on connecting or on waiting in line, and a call that
 * gave up while connecting never asks the backend for a grant. The provider itself keeps connecting: it is
 * shared by every name routed to it and belongs to the selector, which closes it on `close()` (one whose
 * creation failed is not cached: the next `selector.lock()` tries again, while this lock keeps rejecting
 * with that failure). `timeoutMs: 0` and `tryAcquire` mean "do not wait in line", not "do not connect":
 * they wait for the backend, bounded only by their `signal`.
 */
export class DeferredLock implements Lock {
  /** The lock name. */
  readonly name: string;
  private readonly target: Promise<Lock>;
  private resolved: Lock | undefined;
  private readonly declared: Capabilities;

  /**
   * @param declared the capabilities the backend's kind declares, reported until the real lock exists
   * @param target the real lock, once its provider is created and verified
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

  /** The backend's own capabilities once it exists, the declared ones before. */
  get capabilities(): Capabilities {
    return this.resolved?.capabilities ?? this.declared;
  }

  /** `Lock.acquire`, once the backend exists; the wait for it counts against `timeoutMs` and ends on `signal`. */
  async acquire(options?: AcquireOptions): Promise<Lease> {
    validateAcquireOptions(options, this.name);
    return this.whenReady(options, true, (lock, inner) => lock.acquire(inner));
  }

  /** `Lock.tryAcquire`, once the backend exists; the wait for it ends on `signal`. */
  async tryAcquire(options?: Omit<AcquireOptions, 'timeoutMs'>): Promise<Lease | null> {
    validateAcquireOptions(options, this.name);
    return this.whenReady(options, false, (lock, inner) => lock.tryAcquire(inner));
  }

  /** `Lock.withLock`, once the backend exists; the wait for it counts against `timeoutMs` and ends on `signal`. */
  async withLock<T>(fn: (lease: Lease) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    validateFunction('fn', fn, this.name);
    validateAcquireOptions(options, this.name);
    return this.whenReady(options, true, (lock, inner, granted) =>
      lock.withLock((lease) => {
        granted();
        return fn(lease);
      }, inner),
    );
  }

  /**
   * Waits for the backend's lock, bounded by the caller's timeout and signal, then makes the call with
   * options whose signal carries the same deadline, so that connecting and waiting in line share one
   * `timeoutMs` and the timeout error names the caller's figure. `granted` ends the deadline once the lease
   * exists (a `withLock` body must not be cut short by the acquire's timeout).
   */
  private async whenReady<T>(
    options: AcquireOptions | undefined,
    timed: boolean,
    call: (lock: Lock, inner: AcquireOptions | undefined, granted: () => void) => Promise<T>,
  ): Promise<T> {
    if (this.resolved !== undefined) return call(this.resolved, options, () => {});
    const callerSignal = options?.signal;
    if (callerSignal?.aborted) throw callerSignal.reason;
    const timeoutMs = timed ? options?.timeoutMs : undefined;
    const bounded = timeoutMs !== undefined && timeoutMs > 0;
    if (!bounded && callerSignal === undefined) return call(await this.target, options, () => {});
    if (!bounded) {
      return call(await raceSignal(this.target, callerSignal!), options, () => {});
    }
    const deadline = new AbortController();
    const forwardAbort = () => deadline.abort(callerSignal!.reason);
    callerSignal?.addEventListener('abort', forwardAbort, { once: true });
    const timer = setTimeout(() => deadline.abort(new LockTimeoutError(this.name, timeoutMs)), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', forwardAbort);
    };
    try {
      const lock = await raceSignal(this.target, deadline.signal);
      // The deadline is now the signal: the backend's own timer would restart the count from zero.
      return await call(lock, { ...options, timeoutMs: undefined, signal: deadline.signal }, done);
    } finally {
      done();
    }
  }
}
