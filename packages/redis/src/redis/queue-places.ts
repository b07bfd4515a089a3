import type { AcquireRequest } from '@lock/core';
import { newOwnerId } from '../shared/owner-id.js';
import { HANDED_OVER, NOT_OURS } from '../shared/scripts.js';
import { giveUp } from './leave.js';
import type { LockContext } from './lock-context.js';

/**
 * How long a place kept by a release stays valid without a re-check. Short, because nothing proves the handle
 * will use it: if the process exits without `close()` just after the release, a handoff that reaches the place
 * within this time grants the lock to no one (it is then held until its TTL, as with a crashed waiter).
 */
export const PLACE_LIFE_MS = 250;

/** A queue entry kept by a release for the next acquisition of the same handle. */
export interface QueuePlace {
  readonly owner: string;
  /** Send time of the release that queued it. */
  readonly sentAt: number;
  /** The TTL it will be granted with. */
  readonly ttlMs: number;
}

/**
 * The places in the queue that one lock handle's releases keep for its next acquisition. A handle that acquires
 * again right after its release (a loop on a busy lock) would otherwise enqueue behind the waiter it just handed
 * the lock to, one round trip per grant: instead the release script queues a new owner id at the tail in the same
 * step as the handoff, and the next acquisition only blocks for its grant. A place is given up (left) at the next
 * turn of the event loop if no acquisition used it.
 */
export class QueuePlaces {
  private readonly lock: LockContext;
  /** The place the last release kept, until an acquisition takes it or it is given up. */
  private place: QueuePlace | undefined;
  /**
   * Whether releases keep a place: only once this handle was seen acquiring again right after a release
   * (a loop), and until a kept place goes unused, so one-off acquisitions never pay for a place they leave.
   */
  private wanted = false;
  /** True from a contended release until the next turn of the event loop. */
  private justReleased = false;

  constructor(lock: LockContext) {
    this.lock = lock;
  }

  /**
   * The place an acquisition may use: one kept for a wait with the same TTL. A kept place that does not fit is
   * given up; an acquisition that waits right after a release turns places on.
   */
  take(request: AcquireRequest): QueuePlace | undefined {
    const place = this.place;
    if (place === undefined) {
      if (this.justReleased && request.wait) this.wanted = true;
      return undefined;
    }
    this.place = undefined;
    if (request.wait && place.ttlMs === request.ttlMs) return place;
    giveUp(this.lock, place.owner);
    return undefined;
  }

  /** The owner id of a place for a release to queue, while the lock is busy and places are wanted. */
  forRelease(closing: boolean): string | undefined {
    return this.lock.contended && this.wanted && !closing && this.place === undefined
      ? newOwnerId()
      : undefined;
  }

  /** Takes note of a release's outcome: a place it queued is kept (or left, when it may have been queued). */
  released(
    outcome: unknown,
    place: string | undefined,
    sentAt: number,
    ttlMs: number,
    closing: boolean,
  ): void {
    if (place === undefined) {
      if (outcome === HANDED_OVER && this.lock.contended && !closing) this.noteRelease();
    } else if (outcome === HANDED_OVER) {
      this.keep({ owner: place, sentAt, ttlMs });
    } else if (outcome === NOT_OURS) {
      // NOT_OURS after a resend may hide a first run that queued the place: leave it to be sure.
      giveUp(this.lock, place);
    }
  }

  /** A release whose outcome is unknown: the place it carried may have been queued, so leave it. */
  releaseFailed(place: string | undefined): void {
    if (place !== undefined) giveUp(this.lock, place);
  }

  /** Holds a place until the next turn of the event loop: an acquire in the same chain of promises uses it. */
  private keep(place: QueuePlace): void {
    this.place = place;
    const registry = this.lock.backend.places;
    const abandon = () => {
      registry.delete(abandon);
      if (this.place !== place) return;
      this.place = undefined;
      this.wanted = false;
      giveUp(this.lock, place.owner);
    };
    registry.add(abandon);
    setImmediate(abandon);
  }

  /** Marks a contended release until the next turn of the event loop (an acquire before then turns places on). */
  private noteRelease(): void {
    if (this.justReleased) return;
    this.justReleased = true;
    setImmediate(() => {
      this.justReleased = false;
    });
  }
}
