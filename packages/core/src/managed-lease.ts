import { observeRenew, publishLost, publishRelease } from './diagnostics/lock-diagnostics.js';
import { LockBackendError } from './errors/lock-backend-error.js';
import { LockError } from './errors/lock-error.js';
import { LockLostError, type LockLostReason } from './errors/lock-lost-error.js';
import { LockNotHeldError } from './errors/lock-not-held-error.js';
import type { Grant, LoseGrant } from './grant.js';
import { LeaseKeeper } from './lease-keeper.js';
import { monotonicNow } from './monotonic.js';
import { noop } from './timing/noop.js';
import type { Lease, LeaseTtlRule } from './types.js';
import { validateLeaseTtl, validatePositiveMs } from './validate.js';

/** The backend operations a lease needs, bound once per lock. @internal */
export interface LeaseHooks<G extends Grant> {
  readonly name: string;
  readonly backend: string;
  release(grant: G): boolean | Promise<boolean>;
  extend: ((grant: G, ttlMs: number) => Promise<boolean>) | undefined;
  /** Lease registry of the provider, for `close()`. */
  registry: LeaseRegistry | undefined;
  /** The backend's lease lengths, checked by `extend(ttlMs)`. */
  ttlRule: LeaseTtlRule | undefined;
  /** The session's safe deadline for a session-carried grant (`BaseLock.grantSafeDeadline`). */
  safeDeadline: ((grant: G) => number) | undefined;
}

/** Where a provider keeps the leases it must end on `close()`. @internal */
export interface LeaseRegistry {
  add(lease: ManagedLease<Grant>): void;
  delete(lease: ManagedLease<Grant>): void;
}

/**
 * A provider's live leases, for `close()`: an intrusive doubly linked list through the leases themselves, so
 * adding a lease at its grant and removing it at its release are a few field writes (no hashing, no entry
 * allocated), which is most of what a provider's in-process pair costs beyond a standalone lock's.
 */
export class LeaseList implements LeaseRegistry, Iterable<ManagedLease<Grant>> {
  private head: ManagedLease<Grant> | undefined = undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(lease: ManagedLease<Grant>): void {
    if (lease.listed !== undefined) return;
    lease.listed = this;
    lease.listNext = this.head;
    if (this.head !== undefined) this.head.listPrev = lease;
    this.head = lease;
    this.count++;
  }

  delete(lease: ManagedLease<Grant>): void {
    if (lease.listed !== this) return;
    const { listPrev, listNext } = lease;
    if (listPrev === undefined) this.head = listNext;
    else listPrev.listNext = listNext;
    if (listNext !== undefined) listNext.listPrev = listPrev;
    lease.listed = lease.listPrev = lease.listNext = undefined;
    this.count--;
  }

  *[Symbol.iterator](): IterableIterator<ManagedLease<Grant>> {
    for (let lease = this.head; lease !== undefined; ) {
      const next = lease.listNext; // the caller may remove `lease` meanwhile
      yield lease;
      lease = next;
    }
  }
}

const HELD = 0;
const RELEASED = 1;
const LOST = 2;

const resolvedTrue = Promise.resolve(true);
const resolvedFalse = Promise.resolve(false);

/**
 * The one {@link Lease} implementation. It owns the shared lifecycle: idempotent release, renewal through a
 * {@link LeaseKeeper}, the `maxHoldMs` cap, and aborting `signal` exactly once when the grant is lost.
 * Allocation on the hot path is kept to what is read: the AbortController is created when `signal` is first
 * read, and timers exist only for grants that expire.
 */
export class ManagedLease<G extends Grant = Grant> implements Lease {
  /** The backend's grant. */
  readonly grant: G;
  private readonly hooks: LeaseHooks<G>;
  private state: 0 | 1 | 2 = HELD;
  private controller: AbortController | undefined;
  private lostError: LockLostError | undefined;
  private keeper: LeaseKeeper | undefined;
  private maxHoldTimer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  /** TTL of the latest renewal (a manual `extend(ttlMs)` may change it). */
  private currentTtlMs: number | undefined;
  /** Resolvers of `extend()` calls waiting on a backend that may never answer. */
  private lossWaiters: (() => void)[] | undefined;
  /** @internal The provider's {@link LeaseList} this lease is in, and its neighbours there. */
  listed: LeaseList | undefined = undefined;
  /** @internal */
  listPrev: ManagedLease<Grant> | undefined = undefined;
  /** @internal */
  listNext: ManagedLease<Grant> | undefined = undefined;

  /** @internal Created by `BaseLock`; backends never construct leases themselves. */
  constructor(hooks: LeaseHooks<G>, grant: G, settings: LeaseSettings<G> | undefined) {
    this.hooks = hooks;
    this.grant = grant;
    this.currentTtlMs = grant.ttlMs;
    if (settings !== undefined) this.start(settings);
  }

  get name(): string {
    return this.hooks.name;
  }

  get token(): bigint {
    return this.grant.token;
  }

  get ttlMs(): number | undefined {
    return this.currentTtlMs;
  }

  get held(): boolean {
    return this.state === HELD && !this.overdue();
  }

  get signal(): AbortSignal {
    if (this.state === HELD) this.overdue();
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.lostError !== undefined) this.controller.abort(this.lostError);
    }
    return this.controller.signal;
  }

  release(): Promise<boolean> {
    if (this.state === RELEASED) return resolvedFalse;
    const wasHeld = this.state === HELD;
    this.state = RELEASED;
    publishRelease(this, this.hooks.backend);
    if (this.lossWaiters !== undefined) this.wakeEndWaiters();
    if (this.keeper !== undefined || this.maxHoldTimer !== undefined || this.unwatch !== undefined)
      this.stopKeeping();
    this.hooks.registry?.delete(this as unknown as ManagedLease<Grant>);
    let outcome: boolean | Promise<boolean>;
    try {
      outcome = this.hooks.release(this.grant);
    } catch (error) {
      return Promise.reject(this.backendError('release', error));
    }
    if (outcome === true) return wasHeld ? resolvedTrue : resolvedFalse;
    if (outcome === false) {
      this.releasedButGone(wasHeld);
      return resolvedFalse;
    }
    return outcome.then(
      (released) => {
        if (released) return wasHeld;
        this.releasedButGone(wasHeld);
        return false;
      },
      (error: unknown) => {
        // A lost lease is cleaned up on a best-effort basis: its release must not throw.
        if (!wasHeld) return false;
        throw this.backendError('release', error);
      },
    );
  }

  async extend(ttlMs?: number): Promise<void> {
    if (ttlMs !== undefined) {
      validatePositiveMs('ttlMs', ttlMs, this.name);
      validateLeaseTtl('ttlMs', ttlMs, this.hooks.ttlRule, this.name);
    }
    if (this.state === HELD) this.overdue();
    this.assertHeld('extend');
    const extendHook = this.hooks.extend;
    if (extendHook === undefined || this.currentTtlMs === undefined) return;
    const ttl = ttlMs ?? this.currentTtlMs;
    const sentAt = monotonicNow();
    let stillHeld: boolean;
    // A backend that never answers (a half-open connection) must not hold the caller past the loss.
    const ended = this.whenEnded();
    try {
      stillHeld = await Promise.race([
        observeRenew(this, this.hooks.backend, ttl, extendHook(this.grant, ttl)),
        ended.promise,
      ]);
    } catch (error) {
      this.assertHeld('extend');
      throw this.backendError('extend', error);
    } finally {
      ended.cancel();
    }
    this.assertHeld('extend');
    if (!stillHeld) {
      this.lose('expired');
      throw this.lostError;
    }
    this.currentTtlMs = ttl;
    this.keeper?.confirm(sentAt, ttl);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release().then(noop);
  }

  /**
   * Marks the grant lost and aborts `signal` with a {@link LockLostError}; no-op unless held. Backends reach
   * this through the `lose` callback of their `watchGrant` hook.
   * @internal
   */
  lose(reason: LockLostReason, cause?: unknown, detail?: string): void {
    if (this.state !== HELD) return;
    this.state = LOST;
    this.stopKeeping();
    // A lost lease has nothing left for close() to end; whoever holds it may still release it.
    this.hooks.registry?.delete(this as unknown as ManagedLease<Grant>);
    this.lostError = new LockLostError(this.name, reason, { token: this.grant.token, cause, detail });
    this.controller?.abort(this.lostError);
    this.wakeEndWaiters();
    publishLost(this, this.hooks.backend, reason, this.lostError);
  }

  /**
   * True, and the lease lost, when the monotonic clock has passed the grant's safe deadline. The watchdog
   * timer would notice too, but only once the event loop runs it: a holder that resumes from a stall (a long
   * synchronous task, a paused process) must learn at its first look, before it writes.
   */
  private overdue(): boolean {
    const renewed = this.keeper?.safeDeadline;
    const session = this.hooks.safeDeadline?.(this.grant);
    if (renewed === undefined && session === undefined) return false;
    if (monotonicNow() < Math.min(renewed ?? Infinity, session ?? Infinity)) return false;
    this.lose('unconfirmed');
    return true;
  }

  private wakeEndWaiters(): void {
    const waiters = this.lossWaiters;
    this.lossWaiters = undefined;
    if (waiters !== undefined) for (const wake of waiters) wake();
  }

  /** Resolves `false` once the lease is lost or released (at once if it is not held). */
  private whenEnded(): { promise: Promise<boolean>; cancel(): void } {
    if (this.state !== HELD) return { promise: resolvedFalse, cancel: noop };
    let wake: () => void = noop;
    const promise = new Promise<boolean>((resolve) => {
      wake = () => resolve(false);
    });
    (this.lossWaiters ??= []).push(wake);
    return {
      promise,
      cancel: () => {
        const index = this.lossWaiters?.indexOf(wake) ?? -1;
        if (index >= 0) this.lossWaiters!.splice(index, 1);
      },
    };
  }

  /** The error the lease was lost with, if it was. @internal */
  get lostWith(): LockLostError | undefined {
    return this.lostError;
  }

  private start(settings: LeaseSettings<G>): void {
    const grant = this.grant;
    if (this.hooks.extend !== undefined && grant.ttlMs !== undefined) {
      const extendHook = this.hooks.extend;
      this.keeper = new LeaseKeeper({
        ttlMs: grant.ttlMs,
        confirmedAt: grant.startedAt ?? monotonicNow(),
        renewEveryMs: settings.renewEveryMs,
        driftMs: grant.driftMs,
        renew: (ttlMs) => observeRenew(this, this.hooks.backend, ttlMs, extendHook(grant, ttlMs)),
        onLost: (reason, cause) => this.lose(reason, cause),
      });
    }
    if (settings.maxHoldMs !== undefined) {
      this.maxHoldTimer = setTimeout(() => this.lose('max-hold'), settings.maxHoldMs);
      this.maxHoldTimer.unref();
    }
    if (settings.watch !== undefined) {
      this.unwatch = settings.watch(grant, (reason, cause) => this.lose(reason, cause));
    }
    if (this.hooks.registry !== undefined) this.hooks.registry.add(this as unknown as ManagedLease<Grant>);
  }

  private stopKeeping(): void {
    this.keeper?.stop();
    this.keeper = undefined;
    clearTimeout(this.maxHoldTimer);
    this.maxHoldTimer = undefined;
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    unwatch?.();
  }

  private releasedButGone(wasHeld: boolean): void {
    // The backend no longer had this grant: it was lost before release. Say so on the signal, once.
    if (wasHeld && this.lostError === undefined) {
      this.lostError = new LockLostError(this.name, 'expired', { token: this.grant.token });
      this.controller?.abort(this.lostError);
      publishLost(this, this.hooks.backend, 'expired', this.lostError);
    }
  }

  private assertHeld(operation: string): void {
    if (this.state === LOST) throw this.lostError;
    if (this.state === RELEASED) throw new LockNotHeldError(this.name, operation);
  }

  private backendError(operation: string, error: unknown): LockError {
    if (LockError.isInstance(error)) return error;
    return new LockBackendError(this.hooks.backend, operation, { lockName: this.name, cause: error });
  }
}

/** Per-lease lifecycle settings resolved by `BaseLock`. @internal */
export interface LeaseSettings<G extends Grant> {
  renewEveryMs: number | undefined;
  maxHoldMs: number | undefined;
  watch: ((grant: G, lose: LoseGrant) => (() => void) | undefined) | undefined;
}
