import type { LockOwner } from './base-lock.js';
import { ProviderClosedError } from './errors/provider-closed-error.js';
import type { Grant } from './grant.js';
import type { LeaseRegistry, ManagedLease } from './managed-lease.js';
import type { Capabilities, Lock, LockOptions, LockProvider } from './types.js';
import { validateLeaseTtl, validateLockName, validateLockOptions } from './validate.js';

/**
 * The shared part of a provider: name and option validation before any I/O, use-after-close errors, and a
 * `close()` that runs once, aborts the signal of every lease still held (`LockLostError`, reason `closed`),
 * releases them on a best-effort basis, and then closes the backend. Pass `this` as the `owner` of the locks
 * you create.
 */
export abstract class BaseProvider<L extends Lock = Lock> implements LockProvider, LockOwner {
  abstract readonly capabilities: Capabilities;
  /** Live leases of this provider's locks. */
  readonly leases: LeaseRegistry & { readonly size: number } = new Set<ManagedLease<Grant>>();
  private closing: Promise<void> | undefined;
  private closeCalled = false;

  /** True from the moment `close()` is called (also while it is still releasing leases). */
  get closed(): boolean {
    return this.closeCalled;
  }

  lock(name: string, options?: LockOptions): L {
    validateLockName(name);
    if (this.closed) throw new ProviderClosedError(this.capabilities.backend, 'create a lock', name);
    validateLockOptions(options, name);
    if (options?.ttlMs !== undefined)
      validateLeaseTtl('options.ttlMs', options.ttlMs, this.capabilities.ttl, name);
    return this.createLock(name, options);
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

  /** Backend hook: close what the provider created (connections, sessions). Leases are already ended. */
  protected abstract closeBackend(): Promise<void>;

  private async closeOnce(): Promise<void> {
    const live = [...(this.leases as Set<ManagedLease<Grant>>)];
    for (const lease of live) lease.lose('closed');
    await Promise.allSettled(live.map((lease) => lease.release()));
    await this.closeBackend();
  }
}
