import { type AcquireRequest, BaseLock, type Capabilities, type Grant, type LockOptions } from '@lock/core';
import type { TryLock } from './try-lock.js';
import type { TryLockSource } from './try-lock-adapter.js';

/** @internal */
export interface SharedTryGrant extends Grant {
  readonly lock: TryLock;
  /** One of a count: released once. */
  held: boolean;
}

/**
 * The read side of a provider's read-write trylock (`provider.readWriteLock(name).read`): shared grants of
 * the name's {@link TryLock} word (`tryLockShared()`), whose write side is `provider.lock(name)`. It never
 * waits, as the exclusive adapter: `tryAcquire()` resolves `null` while a writer holds, `acquire()` rejects
 * at once (`LockTimeoutError` with `timeoutMs: 0`, else `UnsupportedCapabilityError` for `waiting`).
 * @internal (made by `TryLockProvider.readWriteLock`)
 */
export class TryLockReader extends BaseLock<SharedTryGrant> {
  constructor(
    name: string,
    private readonly source: TryLockSource,
    options?: LockOptions,
  ) {
    super(name, { ...options, owner: source.owner });
  }

  get capabilities(): Capabilities {
    return this.source.capabilities;
  }

  protected acquireGrant(_request: AcquireRequest): SharedTryGrant | null {
    const lock = this.source.get(this.name);
    if (lock.tryLockShared()) return { token: lock.token, lock, held: true };
    // Taken: BaseLock answers a waiting acquire with UnsupportedCapabilityError (capabilities.waiting 'none').
    return null;
  }

  protected releaseGrant(grant: SharedTryGrant): boolean {
    if (!grant.held) return false;
    grant.held = false;
    return grant.lock.unlockSharedIfHeld();
  }
}
