import { LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.LockLostError');

/**
 * Why a grant was lost or put in doubt.
 * - `expired`: the backend says the grant is gone (its TTL ran out, or another owner holds it now).
 * - `unconfirmed`: renewal could not be confirmed before the safe deadline; the grant may still exist on the
 *   server, but this holder can no longer prove it, so it must stop.
 * - `session-lost`: the session that carried the grant (etcd lease, ZooKeeper session) expired, was revoked,
 *   or stayed disconnected past its safe fraction.
 * - `max-hold`: the lease reached its `maxHoldMs` cap and renewal stopped.
 * - `closed`: the provider was closed while the lease was held.
 */
export type LockLostReason = 'expired' | 'unconfirmed' | 'session-lost' | 'max-hold' | 'closed';

/**
 * The grant is lost or in doubt: `lease.signal` aborts with this error and `extend()` throws it.
 * Work done under the lease after this point is not protected: fence writes with `lease.token`.
 */
export class LockLostError extends LockError {
  /** @internal */
  readonly [marker] = true;
  /** The fencing token of the lost grant. */
  readonly token: bigint | undefined;
  /** Why the grant was lost. */
  readonly reason: LockLostReason;

  constructor(
    lockName: string,
    reason: LockLostReason,
    options: { token?: bigint; cause?: unknown; detail?: string } = {},
  ) {
    const detail = options.detail ?? defaultDetail(reason);
    super('LOCK_LOST', `Lock ${JSON.stringify(lockName)} was lost: ${detail}`, {
      lockName,
      cause: options.cause,
    });
    this.name = 'LockLostError';
    this.token = options.token;
    this.reason = reason;
  }

  static override isInstance(value: unknown): value is LockLostError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

function defaultDetail(reason: LockLostReason): string {
  switch (reason) {
    case 'expired':
      return 'the backend no longer holds this grant (it expired or was taken over)';
    case 'unconfirmed':
      return 'renewal could not be confirmed before the safe deadline';
    case 'session-lost':
      return 'the session that carried the grant expired, was revoked or stayed disconnected too long';
    case 'max-hold':
      return 'the lease reached its maxHoldMs cap';
    case 'closed':
      return 'the provider was closed';
  }
}
