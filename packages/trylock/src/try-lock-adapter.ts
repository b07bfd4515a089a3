import {
  type AcquireRequest,
  BaseLock,
  type Capabilities,
  type Grant,
  type LockOptions,
  type LockOwner,
  UnsupportedCapabilityError,
  validateLockOptions,
} from '@lock/core';
import { TryLock } from './try-lock.js';

const CAPABILITIES: Capabilities = Object.freeze({
  backend: 'trylock',
  scope: 'threads',
  durability: 'memory',
  waiting: 'none',
  fifo: false,
  fencing: true,
  leases: false,
  readWrite: true,
  semaphore: true,
});

/**
 * What every trylock guarantees, whatever the size of its table: it never waits, so it has no order to keep.
 * The `trylock` kind's capabilities, which its locks and provider declare; one frozen object, so a read
 * allocates nothing.
 */
export function tryLockCapabilities(): Capabilities {
  return CAPABILITIES;
}

/** @internal */
export interface TryLockGrant extends Grant {
  /** The TryLock this grant was taken on. */
  readonly lock: TryLock;
}

/** Internal hooks of the provider that made an adapter. @internal */
export interface TryLockSource {
  /** The provider, as the locks' owner. */
  readonly owner: LockOwner;
  /** What the provider's locks deliver (the provider's own capabilities). */
  readonly capabilities: Capabilities;
  /** This thread's TryLock for `name` (claiming the name's slot when new). */
  get(name: string): TryLock;
}

/**
 * A {@link TryLock} behind the common `Lock` contract. `tryAcquire()` resolves `null` when the lock is held.
 * `acquire()` never waits either: it takes a free lock at once; when the lock is held it rejects with
 * `LockTimeoutError` if you passed `timeoutMs: 0`, and otherwise with `UnsupportedCapabilityError`
 * (capability `waiting`), because waiting was asked of a lock that cannot wait.
 */
export class TryLockAdapter extends BaseLock<TryLockGrant> {
  private readonly lock: TryLock | undefined;
  private readonly source: TryLockSource | undefined;

  /**
   * @param name - Used in errors and `lease.name`.
   * @param lock - The TryLock to adapt (for example one attached in a worker); a new one when omitted.
   * @param options - `maxHoldMs` aborts `lease.signal` after that long; `ttlMs` and `renewEveryMs` are
   *   accepted and ignored (a trylock's grants never expire); unknown keys are errors.
   */
  constructor(name: string, lock?: TryLock, options?: LockOptions, /** @internal */ source?: TryLockSource) {
    // A provider's lock() has checked its options already; a standalone adapter checks them here.
    if (source === undefined) validateLockOptions(options, name);
    super(name, { ...options, owner: source?.owner });
    this.source = source;
    this.lock = source === undefined ? (lock ?? new TryLock(name)) : undefined;
  }

  /** The trylock kind's capabilities (the provider's, when a `TryLockProvider` made this lock: the same object). */
  get capabilities(): Capabilities {
    return this.source?.capabilities ?? tryLockCapabilities();
  }

  protected acquireGrant(request: AcquireRequest): TryLockGrant | null {
    const lock = this.lock ?? this.source!.get(this.name);
    if (lock.tryLock()) return { token: lock.token, lock };
    if (!request.wait) return null;
    throw new UnsupportedCapabilityError(
      CAPABILITIES.backend,
      'waiting',
      'the lock is held and a trylock never waits; use tryAcquire() or acquire({ timeoutMs: 0 })',
      this.name,
    );
  }

  protected releaseGrant(grant: TryLockGrant): boolean {
    return grant.lock.held && grant.lock.token === grant.token && grant.lock.unlockIfHeld();
  }
}
