import type { Lease } from '@lock/core';

/**
 * Leases inside a critical section, and those of them lost while inside. The contract lets a grant be lost
 * (a session expired, a lease not renewed in time): its `signal` aborts and the lock may go to someone else
 * while the old holder is still inside. A grant beside a holder that was already told is that, not two
 * holders; a grant beside a holder whose signal had not aborted is a double grant.
 */
export class Holders<T> {
  private readonly inside = new Map<Lease, T>();
  lostLeases = 0;
  private readonly reasons = new Set<string>();

  /** Enters `lease`; returns how many conflicting holders (`conflicts`) were held and how many lost. */
  enter(lease: Lease, what: T, conflicts: (other: T) => boolean): { held: number; lost: number } {
    let held = 0;
    let lost = 0;
    for (const [other, otherWhat] of this.inside) {
      if (!conflicts(otherWhat)) continue;
      if (other.signal.aborted) lost += 1;
      else held += 1;
    }
    this.inside.set(lease, what);
    return { held, lost };
  }

  /** Leaves `lease` (before releasing it), noting whether it was lost meanwhile. */
  leave(lease: Lease): void {
    this.inside.delete(lease);
    if (!lease.signal.aborted) return;
    this.lostLeases += 1;
    const reason = lease.signal.reason as unknown;
    this.reasons.add(reason instanceof Error ? reason.message : String(reason));
  }

  /** Each distinct loss reason once. */
  get lostReasons(): string[] {
    return [...this.reasons];
  }
}
