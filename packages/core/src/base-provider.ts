import type { LockOwner } from './base-lock.js';
import { ProviderClosedError } from './errors/provider-closed-error.js';
import { UnsupportedCapabilityError } from './errors/unsupported-capability-error.js';
import type { Grant } from './grant.js';
import { LeaseList, type LeaseRegistry, type ManagedLease } from './managed-lease.js';
import type { Capabilities, Lock, LockOptions, LockProvider, ReadWriteLock } from './types.js';
import { validateLeaseTtl, validateLockName, validateLockOptions, validatePermits } from './validate.js';

/**
 * The shared part of a provider: name and option validation before any I/O (for locks, read-write locks and
 * semaphores alike), use-after-close errors, `UnsupportedCapabilityError` for a primitive the backend does
 * not declare, and a `close()` that runs once, aborts the signal of every lease still held (`LockLostError`, reason `closed`),
 * releases them on a best-effort basis, and then closes the backend. Pass `this` as the `owner` of the locks
 * you create.
 */
export abstract class BaseProvider<L extends Lock = Lock> implements LockProvider, LockOwner {
  abstract readonly capabilities: Capabilities;
  /** Live leases of this provider's locks. */
  readonly leases: LeaseRegistry & Iterable<ManagedLease<Grant>> & { readonly size: number } =
    new LeaseList();
  private closing: Promise<void> | undefined;
  private closeCalled = false;

  /** True from the moment `close()` is called (also while it is still releasing leases). */
  get closed(): boolean {
    return this.closeCalled;
  }

  lock(name: string, options?: LockOptions): L {
    this.checkNewLock(name, options, 'create a lock');
    return this.createLock(name, options);
  }

  /**
   * A read-write lock on `name` (see {@link ReadWriteLock}). Throws `UnsupportedCapabilityError` unless
   * `capabilities.readWrite`; checks the name and options before any I/O.
   */
  readWriteLock(name: string, options?: LockOptions): ReadWriteLock {
    this.checkNewLock(name, options, 'create a read-write lock');
    if (this.capabilities.readWrite !== true) {
      throw new UnsupportedCapabilityError(
        this.capabilities.backend,
        'read-write locks',
        'its capabilities declare no readWrite; use lock() for an exclusive lock',
        name,
      );
    }
    return this.createReadWriteLock(name, options);
  }

  /**
   * A semaphore with `permits` permits on `name`: a lock whose leases are permits. Throws
   * `UnsupportedCapabilityError` unless `capabilities.semaphore`; checks the name, `permits` and options
   * before any I/O.
   */
  semaphore(name: string, permits: number, options?: LockOptions): Lock {
    this.checkNewLock(name, options, 'create a semaphore');
    validatePermits(permits, name);
    if (this.capabilities.semaphore !== true) {
      throw new UnsupportedCapabilityError(
        this.capabilities.backend,
        'semaphores',
        'its capabilities declare no semaphore; use lock() for one holder at a time',
        name,
      );
    }
    return this.createSemaphore(name, permits, options);
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      // Set before closeOnce starts: its synchronous part (and backends' release hooks) must see it closed.
      this.closeCalled = true;
      this.closing = this.closeOnce();
    }
    return this.closing;
  }

  /** Throws `ProviderClosedError` if the provider is closed. */
  protected assertOpen(operation: string, lockName?: string): void {
    if (this.closed) throw new ProviderClosedError(this.capabilities.backend, operation, lockName);
  }

  /** Backend hook: make a lock (validated name and options; `this` as its owner). */
  protected abstract createLock(name: string, options: LockOptions | undefined): L;

  /**
   * Backend hook for backends that declare `readWrite`: make the read-write lock (validated name and
   * options). Never called otherwise.
   */
  protected createReadWriteLock(name: string, _options: LockOptions | undefined): ReadWriteLock {
    throw new UnsupportedCapabilityError(
      this.capabilities.backend,
      'read-write locks',
      'not implemented',
      name,
    );
  }

  /**
   * Backend hook for backends that declare `semaphore`: make the semaphore (validated name, permits and
   * options). Never called otherwise.
   */
  protected createSemaphore(name: string, _permits: number, _options: LockOptions | undefined): Lock {
    throw new UnsupportedCapabilityError(this.capabilities.backend, 'semaphores', 'not implemented', name);
  }

  private checkNewLock(name: string, options: LockOptions | undefined, operation: string): void {
    validateLockName(name);
    if (this.closed) throw new ProviderClosedError(this.capabilities.backend, operation, name);
    validateLockOptions(options, name);
    if (options?.ttlMs !== undefined)
      validateLeaseTtl('options.ttlMs', options.ttlMs, this.capabilities.ttl, name);
  }

  /** Backend hook: close what the provider created (connections, sessions). Leases are already ended. */
  protected abstract closeBackend(): Promise<void>;

  private async closeOnce(): Promise<void> {
    const live = [...this.leases];
    for (const lease of live) lease.lose('closed');
    await Promise.allSettled(live.map((lease) => lease.release()));
    await this.closeBackend();
  }
}
