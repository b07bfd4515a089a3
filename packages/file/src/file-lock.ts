import {
  type AcquireOptions,
  type AcquireRequest,
  BaseLock,
  type Capabilities,
  type LeaseHooks,
  type LeaseSettings,
  type LockMode,
  type LockOptions,
  type LoseGrant,
  type ManagedLease,
} from '@lock/core';
import { type FileLease, FileManagedLease } from './file-lease.js';
import type { FileGrant } from './state/file-grant.js';
import type { LockTable } from './state/lock-table.js';
import { loseHolder } from './state/lose-holder.js';
import type { NameState } from './state/name-state.js';
import { releaseLock } from './state/release-lock.js';
import { takeLock, takeShared } from './state/take-lock.js';
import { enqueue } from './state/wait-in-kernel.js';

/**
 * A host-wide lock on one name: a kernel lock on the name's file in the lock directory. Uncontended, an
 * acquisition is a few system calls on this thread (no thread pool, no waiting); contended, this process's
 * acquisitions queue in memory and the head of the line waits in the kernel through a helper process. Make
 * it with `FileProvider.lock(name)`; `readWriteLock(name)` gives the same lock as `write` and its shared side
 * as `read`.
 */
export class FileLock extends BaseLock<FileGrant> {
  private readonly table: LockTable;
  /** `exclusive` (a lock, a write) or `shared` (a read). */
  readonly mode: LockMode;

  /** @internal Made by `FileProvider.lock()` and `FileProvider.readWriteLock()`. */
  constructor(
    name: string,
    options: LockOptions | undefined,
    table: LockTable,
    mode: LockMode = 'exclusive',
  ) {
    super(name, { ...options, owner: table.owner });
    this.table = table;
    this.mode = mode;
  }

  get capabilities(): Capabilities {
    return this.table.capabilities;
  }

  /** The lock file of this name. */
  get path(): string {
    return this.table.pathOf(this.name);
  }

  // Type-only narrowing: createLease below makes every lease a FileLease.
  override acquire(options?: AcquireOptions): Promise<FileLease> {
    return super.acquire(options) as Promise<FileLease>;
  }

  override tryAcquire(options?: Omit<AcquireOptions, 'timeoutMs'>): Promise<FileLease | null> {
    return super.tryAcquire(options) as Promise<FileLease | null>;
  }

  protected acquireGrant(request: AcquireRequest): FileGrant | null | Promise<FileGrant> {
    const state = this.table.state(this.name);
    if (this.mode === 'shared') return this.acquireShared(state, request);
    if (state.idle) {
      const grant = takeLock(this.table, state);
      if (grant !== null) return grant;
      if (!request.wait) {
        this.table.settle(state);
        return null;
      }
    } else if (!request.wait) {
      return null;
    }
    return enqueue(this.table, state, request.signal);
  }

  /** A read: joins the holders at once when no writer holds here and nobody here waits ahead (turnstile free). */
  private acquireShared(state: NameState, request: AcquireRequest): FileGrant | null | Promise<FileGrant> {
    if (state.holder === undefined && state.waiters.size === 0) {
      const grant = takeShared(this.table, state);
      if (grant !== null) return grant;
      if (!request.wait) {
        this.table.settle(state);
        return null;
      }
    } else if (!request.wait) {
      return null;
    }
    return enqueue(this.table, state, request.signal, false);
  }

  protected releaseGrant(grant: FileGrant): boolean {
    return releaseLock(this.table, grant);
  }

  protected override watchGrant(grant: FileGrant, lose: LoseGrant): () => void {
    grant.lose = lose;
    return () => {
      grant.lose = undefined;
    };
  }

  /**
   * Looked at whenever the lease's `held`, `signal` or `extend()` is used: a lease whose file was deleted or
   * replaced is lost from that look on, even before the directory watch reports it (one `stat`).
   */
  protected override grantSafeDeadline(grant: FileGrant): number {
    if (!grant.state.holds(grant) || grant.file.atPath()) return Number.POSITIVE_INFINITY;
    loseHolder(this.table, grant.state);
    return Number.NEGATIVE_INFINITY;
  }

  protected override createLease(
    grant: FileGrant,
    hooks: LeaseHooks<FileGrant>,
    settings: LeaseSettings<FileGrant> | undefined,
  ): ManagedLease<FileGrant> {
    return new FileManagedLease(hooks, grant, settings);
  }
}
