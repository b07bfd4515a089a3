import {
  type AcquireOptions,
  type Capabilities,
  type Lease,
  type Lock,
  LockLostError,
  monotonicNow,
  validateAcquireOptions,
  validateFunction,
} from '@lock/core';

/** Raises a name's fence counter on one cluster (`LockProvider.raiseFence`), where the kind can. */
export type RaiseFence = (name: string, atLeast: bigint) => Promise<void>;

/**
 * The lock of a name that a cluster-list change moves, for a client in the migration phase
 * (`previousClusters`): it takes the name on its old cluster, then on its new one, always in that order, and
 * holds both. So during a rolling change old -> migrating -> new, every two configurations that run at the
 * same time share a cluster for the name (old and migrating the old one, migrating and new the new one), and
 * never two holders are let in. Releases in the opposite order; lost when either grant is lost.
 *
 * The lease's token is the new cluster's: the one the name keeps once the change is done. Where the kind can
 * raise a fence counter (`raiseFence`), the fence moves with the name: the new cluster's counter is raised
 * past the old grant's token before the new grant, and the old cluster's past the new grant's token after
 * it, so tokens of the name increase across all three steps of the change, whichever cluster minted them.
 */
export class MigratingLock implements Lock {
  readonly name: string;

  /**
   * @param from the name's lock on the cluster it moves from (the previous cluster list's choice)
   * @param to the name's lock on the cluster it moves to
   */
  constructor(
    private readonly from: Lock,
    private readonly to: Lock,
    private readonly raise: { readonly from?: RaiseFence; readonly to?: RaiseFence } = {},
  ) {
    this.name = to.name;
  }

  /** The new cluster's (both clusters are of one entry, so of one kind and one capability set). */
  get capabilities(): Capabilities {
    return this.to.capabilities;
  }

  /** Both grants, old cluster first; `timeoutMs` bounds the two waits together. */
  async acquire(options?: AcquireOptions): Promise<Lease> {
    validateAcquireOptions(options, this.name);
    const startedAt = monotonicNow();
    const first = await this.from.acquire(options);
    try {
      const timeoutMs =
        options?.timeoutMs === undefined
          ? undefined
          : Math.max(0, options.timeoutMs - (monotonicNow() - startedAt));
      await this.raise.to?.(this.name, first.token);
      return await this.completed(first, await this.to.acquire({ ...options, timeoutMs }));
    } catch (error) {
      await first.release().catch(() => false);
      throw error;
    }
  }

  /** Both grants held: carries the new token back to the old cluster, so its later grants are above it. */
  private async completed(first: Lease, second: Lease): Promise<Lease> {
    try {
      await this.raise.from?.(this.name, second.token);
    } catch (error) {
      await second.release().catch(() => false);
      throw error;
    }
    return new MigratingLease(first, second);
  }

  /** Both grants without waiting for a holder of either; `null` (holding neither) when one is held. */
  async tryAcquire(options?: Omit<AcquireOptions, 'timeoutMs'>): Promise<Lease | null> {
    validateAcquireOptions(options, this.name, false);
    const first = await this.from.tryAcquire(options);
    if (first === null) return null;
    try {
      await this.raise.to?.(this.name, first.token);
      const second = await this.to.tryAcquire(options);
      if (second !== null) return await this.completed(first, second);
    } catch (error) {
      await first.release().catch(() => false);
      throw error;
    }
    await first.release().catch(() => false);
    return null;
  }

  async withLock<T>(fn: (lease: Lease) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    validateFunction('fn', fn, this.name);
    const lease = await this.acquire(options);
    let result: T;
    try {
      result = await fn(lease);
    } finally {
      await lease.release();
    }
    // The work ran while a grant was lost: it was not exclusive, whatever fn returned.
    if (lease.signal.aborted) throw lostReason(lease);
    return result;
  }
}

/** Two grants of one name held as one: the old cluster's and the new cluster's. */
class MigratingLease implements Lease {
  readonly signal: AbortSignal;

  constructor(
    private readonly from: Lease,
    private readonly to: Lease,
  ) {
    this.signal = AbortSignal.any([to.signal, from.signal]);
  }

  get name(): string {
    return this.to.name;
  }

  get token(): bigint {
    return this.to.token;
  }

  /** Each read asks both grants, so a stall past either's safe deadline shows at once. */
  get held(): boolean {
    const bothHeld = this.from.held && this.to.held;
    return bothHeld && !this.signal.aborted;
  }

  /** The shorter of the two. */
  get ttlMs(): number | undefined {
    const lengths = [this.from.ttlMs, this.to.ttlMs].filter((ttl): ttl is number => ttl !== undefined);
    return lengths.length === 0 ? undefined : Math.min(...lengths);
  }

  /** New cluster first, then the old one (the opposite of the order they were taken in). */
  async release(): Promise<boolean> {
    const second = await this.to.release();
    const first = await this.from.release();
    return first && second;
  }

  async extend(ttlMs?: number): Promise<void> {
    await Promise.all([this.from.extend(ttlMs), this.to.extend(ttlMs)]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

function lostReason(lease: Lease): unknown {
  const reason: unknown = lease.signal.reason;
  return LockLostError.isInstance(reason)
    ? reason
    : new LockLostError(lease.name, 'unconfirmed', { cause: reason });
}
