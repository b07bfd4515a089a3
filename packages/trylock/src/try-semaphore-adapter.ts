import {
  type AcquireRequest,
  BaseLock,
  type Capabilities,
  type Grant,
  type LockOptions,
  type LockOwner,
  validateLockOptions,
} from '@lock/core';
import { tryLockCapabilities } from './try-lock-adapter.js';
import type { TrySemaphore } from './try-semaphore.js';

/** @internal */
export interface PermitGrant extends Grant {
  /** One of a count: released once. */
  held: boolean;
}

/**
 * A {@link TrySemaphore} behind the common `Lock` contract: every lease is one permit. Like every trylock it
 * never waits: `tryAcquire()` resolves `null` when every permit is taken, and `acquire()` takes a free permit
 * at once or rejects (`LockTimeoutError` with `timeoutMs: 0`, else `UnsupportedCapabilityError` for
 * `waiting`). Other permits than the holders use reject with `PermitsMismatchError`.
 */
export class TrySemaphoreAdapter extends BaseLock<PermitGrant> {
  /** The semaphore this adapter takes permits of (one owner: this adapter). */
  readonly semaphore: TrySemaphore;
  private readonly source: { readonly capabilities: Capabilities } | undefined;

  /**
   * @param name - Used in errors and `lease.name`.
   * @param semaphore - The TrySemaphore to adapt (for example one attached in a worker).
   * @param options - `maxHoldMs` aborts `lease.signal` after that long; `ttlMs` and `renewEveryMs` are
   *   accepted and ignored (a trylock's grants never expire); unknown keys are errors.
   */
  constructor(
    name: string,
    semaphore: TrySemaphore,
    options?: LockOptions,
    /** @internal */ source?: { readonly owner: LockOwner; readonly capabilities: Capabilities },
  ) {
    if (source === undefined) validateLockOptions(options, name);
    super(name, { ...options, owner: source?.owner });
    this.semaphore = semaphore;
    this.source = source;
  }

  get capabilities(): Capabilities {
    return this.source?.capabilities ?? tryLockCapabilities();
  }

  protected acquireGrant(_request: AcquireRequest): PermitGrant | null {
    const semaphore = this.semaphore;
    if (semaphore.tryLock()) return { token: semaphore.token, held: true };
    // Taken: BaseLock answers a waiting acquire with UnsupportedCapabilityError (capabilities.waiting 'none').
    return null;
  }

  protected releaseGrant(grant: PermitGrant): boolean {
    if (!grant.held) return false;
    grant.held = false;
    return this.semaphore.unlockIfHeld();
  }
}
