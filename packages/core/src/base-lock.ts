import { acquireObserved, observeAcquire } from './diagnostics/lock-diagnostics.js';
import { LockBackendError } from './errors/lock-backend-error.js';
import { LockError } from './errors/lock-error.js';
import { LockTimeoutError } from './errors/lock-timeout-error.js';
import { ProviderClosedError } from './errors/provider-closed-error.js';
import { UnsupportedCapabilityError } from './errors/unsupported-capability-error.js';
import type { AcquireRequest, Grant, LoseGrant } from './grant.js';
import { defaultDriftMs } from './lease-keeper.js';
import { type LeaseHooks, type LeaseRegistry, type LeaseSettings, ManagedLease } from './managed-lease.js';
import { monotonicNow } from './monotonic.js';
import { isPromise } from './timing/is-promise.js';
import { noop } from './timing/noop.js';
import type { AcquireOptions, Capabilities, Lease, Lock, LockOptions } from './types.js';
import {
  validateAcquireOptions,
  validateFunction,
  validateLeaseTtl,
  validateLockName,
  validateLockOptionValues,
  validateOptionsObject,
  validateRenewEvery,
} from './validate.js';

/** Construction settings of a {@link BaseLock}. */
export interface BaseLockSettings extends LockOptions {
  /** TTL used when neither the acquisition nor the lock options give one (backends with leases). */
  defaultTtlMs?: number | undefined;
  /** The provider, asked before each acquisition whether it was closed, and told about live leases. */
  owner?: LockOwner | undefined;
  /**
   * True for locks whose backend is a server. Their acquisitions call `request.queued()` once the server
   * says the lock is held; until then a timeout does not cut the first request short (see
   * {@link AcquireRequest.queued}), so a server that is down is reported as a `LockBackendError`, not as a
   * held lock.
   */
  remote?: boolean | undefined;
}

/** What a lock needs from the provider that made it. */
export interface LockOwner {
  /** True once the provider is closed: acquisitions then reject with `ProviderClosedError`. */
  readonly closed: boolean;
  /** Where leases are registered so that `close()` can end them; omit when close has nothing to end. */
  readonly leases?: LeaseRegistry | undefined;
}

const WAIT_FOREVER: AcquireRequest = Object.freeze({
  wait: true,
  signal: undefined,
  ttlMs: 0,
  deadline: undefined,
  queued: noop,
});
const DEFAULT_TTL_MS = 30_000;

/**
 * The shared lifecycle every backend plugs into (template method). A backend implements
 * `acquireGrant` and `releaseGrant`, and for grants that expire `extendGrant` (renewal) or `watchGrant`
 * (loss reported by a session). `BaseLock` does the rest, once for all backends: validation before any
 * I/O, timeouts on the monotonic clock, abort signals, `tryAcquire`, `withLock`, idempotent release,
 * automatic renewal at a third of the TTL, the safe deadline, the `maxHoldMs` cap, and aborting
 * `lease.signal` when the grant is lost.
 *
 * Implement the hooks as methods (on the prototype), not as instance fields: `BaseLock` looks at which
 * optional hooks exist while it is being constructed, before a subclass's fields are initialised.
 */
export abstract class BaseLock<G extends Grant = Grant> implements Lock {
  readonly name: string;
  abstract readonly capabilities: Capabilities;
  /** Lease length used when an acquisition does not give one, in ms. */
  readonly ttlMs: number;
  private readonly owner: LockOwner | undefined;
  private readonly remote: boolean;
  private readonly settings: LeaseSettings<G> | undefined;
  private hooksCache: LeaseHooks<G> | undefined;
  private readonly requestTemplate: AcquireRequest;
  // Bound once per lock, so a queued acquisition allocates no closures of its own.
  private readonly leaseOrTimeout = (grant: G | null): Lease | Promise<Lease> => {
    if (grant === null) return Promise.reject(this.heldError(undefined));
    if (grant.ttlMs !== undefined && this.expiredOnArrival(grant)) return this.acquireNow({});
    return this.lease(grant);
  };
  private readonly rejectAcquire = (error: unknown): Promise<never> =>
    Promise.reject(this.backendError('acquire', error));

  constructor(name: string, settings: BaseLockSettings = {}) {
    validateLockName(name);
    // The caller's options were checked key by key where they came in (provider.lock(), a public
    // constructor); a backend may add settings of its own beside them.
    validateOptionsObject('options', settings, name);
    validateLockOptionValues(settings, name);
    this.name = name;
    this.owner = settings.owner;
    this.remote = settings.remote === true;
    this.ttlMs = settings.ttlMs ?? settings.defaultTtlMs ?? DEFAULT_TTL_MS;
    if (settings.renewEveryMs !== undefined) validateRenewEvery(settings.renewEveryMs, this.ttlMs, name);
    const watch = this.watchGrant === BaseLock.prototype.watchGrant ? undefined : this.watchGrant.bind(this);
    const needsLifecycle =
      this.extendGrant !== undefined ||
      watch !== undefined ||
      settings.maxHoldMs !== undefined ||
      settings.owner?.leases !== undefined;
    // Locks whose grants never expire and that nobody must end on close skip the lifecycle entirely.
    this.settings = needsLifecycle
      ? { renewEveryMs: settings.renewEveryMs, maxHoldMs: settings.maxHoldMs, watch }
      : undefined;
    this.requestTemplate = { ...WAIT_FOREVER, ttlMs: this.ttlMs };
  }

  /**
   * Backend hook: obtain a grant. With `request.wait` false, resolve `null` at once if the lock is held.
   * With `request.wait` true, wait in line until granted or until `request.signal` aborts; on abort, remove
   * every trace of the waiter and reject. May return synchronously (in-process locks).
   */
  protected abstract acquireGrant(request: AcquireRequest): G | null | Promise<G | null>;

  /**
   * Backend hook: release a grant if, and only if, it is still this grant (compare-and-delete). Return
   * `true` if it was still held, `false` if it was already gone. Never touch another holder's grant.
   */
  protected abstract releaseGrant(grant: G): boolean | Promise<boolean>;

  /**
   * Backend hook for grants that expire: extend the grant by `ttlMs` from now, only if it is still this
   * grant; never recreate an expired one. Resolve `false` if it is gone; reject if the result is unknown.
   * Leave undefined when renewal is not per grant (sessions) or grants never expire.
   */
  protected extendGrant?(grant: G, ttlMs: number): Promise<boolean>;

  /**
   * Backend hook for grants carried by a session: subscribe `lose` to the session's loss and return the
   * unsubscribe function. Called once per lease; the unsubscribe runs on release or loss.
   */
  protected watchGrant(_grant: G, _lose: LoseGrant): (() => void) | undefined {
    return undefined;
  }

  /**
   * Backend hook for grants carried by a session: the monotonic time (ms) after which the grant must be
   * presumed lost, i.e. the session's safe deadline. The lease compares the clock with it whenever `held`,
   * `signal` or `extend()` is used, so a holder that wakes from a stall past it learns at its first look,
   * before the session's own watchdog timer has had a chance to run. Grants renewed per lease need not
   * implement it (their keeper's deadline is used).
   */
  protected grantSafeDeadline?(grant: G): number;

  acquire(options?: AcquireOptions): Promise<Lease> {
    // Published and traced only while someone subscribes (node:diagnostics_channel, see LOCK_CHANNELS).
    if (acquireObserved()) return observeAcquire(this, 'acquire', options, () => this.acquireNow(options));
    return this.acquireNow(options);
  }

  tryAcquire(options?: Omit<AcquireOptions, 'timeoutMs'>): Promise<Lease | null> {
    if (acquireObserved()) {
      return observeAcquire(this, 'tryAcquire', options, () => this.acquireWith(options, false));
    }
    return this.acquireWith(options, false);
  }

  private acquireNow(options: AcquireOptions | undefined): Promise<Lease> {
    if (options === undefined && (this.owner === undefined || !this.owner.closed)) {
      // Hot path: no options, nothing to combine, no timer.
      try {
        const outcome = this.acquireGrant(this.requestTemplate);
        if (outcome === null) return Promise.reject(this.heldError(undefined));
        if (!isPromise(outcome)) {
          if (outcome.ttlMs !== undefined && this.expiredOnArrival(outcome)) return this.acquireNow({});
          return Promise.resolve(this.lease(outcome));
        }
        return outcome.then(this.leaseOrTimeout, this.rejectAcquire);
      } catch (error) {
        return Promise.reject(this.backendError('acquire', error));
      }
    }
    return this.acquireWith(options, true).then(
      (lease) => lease ?? Promise.reject(this.heldError(options?.timeoutMs)),
    );
  }

  async withLock<T>(fn: (lease: Lease) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    validateFunction('fn', fn, this.name);
    const lease = (await this.acquire(options)) as ManagedLease<G>;
    let result: T;
    try {
      result = await fn(lease);
    } catch (error) {
      await lease.release().catch(noop);
      throw error;
    }
    await lease.release();
    if (lease.lostWith !== undefined) throw lease.lostWith;
    return result;
  }

  /** The error to throw when the provider is closed, or undefined. */
  private closedError(): ProviderClosedError | undefined {
    return this.owner?.closed
      ? new ProviderClosedError(this.capabilities.backend, 'acquire', this.name)
      : undefined;
  }

  private async acquireWith(options: AcquireOptions | undefined, wait: boolean): Promise<Lease | null> {
    validateAcquireOptions(options, this.name, wait);
    const closed = this.closedError();
    if (closed !== undefined) throw closed;
    const callerSignal = options?.signal;
    if (callerSignal?.aborted) throw callerSignal.reason;
    const timeoutMs = wait ? options?.timeoutMs : undefined;
    const waits = wait && timeoutMs !== 0;
    const ttlMs = options?.ttlMs ?? this.ttlMs;
    if (options?.ttlMs !== undefined) {
      validateLeaseTtl('options.ttlMs', options.ttlMs, this.capabilities.ttl, this.name);
      if (this.settings?.renewEveryMs !== undefined)
        validateRenewEvery(this.settings.renewEveryMs, options.ttlMs, this.name);
    }

    let signal = callerSignal;
    let timer: NodeJS.Timeout | undefined;
    let forwardAbort: (() => void) | undefined;
    let queued = noop;
    if (waits && timeoutMs !== undefined) {
      const controller = new AbortController();
      signal = controller.signal;
      const expire = () => controller.abort(this.timeoutError(timeoutMs));
      if (this.remote) {
        // The deadline bounds the wait for a holder, not the server's first answer (AcquireRequest.queued).
        let inLine = false;
        let overdue = false;
        queued = () => {
          if (inLine) return;
          inLine = true;
          if (overdue) expire();
        };
        timer = setTimeout(() => {
          overdue = true;
          if (inLine) expire();
        }, timeoutMs);
      } else {
        timer = setTimeout(expire, timeoutMs);
      }
      if (callerSignal !== undefined) {
        forwardAbort = () => controller.abort(callerSignal.reason);
        callerSignal.addEventListener('abort', forwardAbort, { once: true });
      }
    }
    const request: AcquireRequest = {
      wait: waits,
      signal,
      ttlMs,
      deadline: timeoutMs === undefined ? undefined : monotonicNow() + timeoutMs,
      queued,
    };
    try {
      for (;;) {
        const grant = await this.acquireGrant(request);
        if (grant === null) {
          if (wait) throw this.heldError(timeoutMs);
          return null;
        }
        if (signal?.aborted) {
          // Granted just as the wait ended: give it back, so an abandoned grant never blocks others.
          await Promise.resolve(this.releaseGrant(grant)).catch(noop);
          throw signal.reason;
        }
        if (grant.ttlMs === undefined || !this.expiredOnArrival(grant)) return this.lease(grant);
        // Given back already; a waiting acquisition asks again (within its timeout), a try gives up.
        if (!wait) return null;
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw this.backendError('acquire', error);
    } finally {
      clearTimeout(timer);
      if (forwardAbort !== undefined) callerSignal?.removeEventListener('abort', forwardAbort);
    }
  }

  /**
   * True when `grant`'s reply came back after its safe deadline (its request's send time + TTL - drift): the
   * lease may have run out on the server and the lock been granted to someone else since, so it is never
   * handed out. It is given back at once (a compare-and-delete on the grant's own token frees nothing of
   * anyone else's), and the acquisition asks again.
   */
  private expiredOnArrival(grant: G): boolean {
    const { ttlMs, startedAt } = grant;
    if (ttlMs === undefined || startedAt === undefined) return false;
    if (monotonicNow() < startedAt + ttlMs - (grant.driftMs ?? defaultDriftMs(ttlMs))) return false;
    try {
      Promise.resolve(this.releaseGrant(grant)).catch(noop);
    } catch {
      // The grant expires on the server by itself.
    }
    return true;
  }

  private lease(grant: G): ManagedLease<G> {
    if (this.owner?.closed) {
      // Granted while the provider was closing: close() has already ended the leases it knew of, so give
      // this one back rather than hand out a lease nobody will end.
      try {
        Promise.resolve(this.releaseGrant(grant)).catch(noop);
      } catch {
        // The backend is closing; the grant expires with its lease or session.
      }
      throw new ProviderClosedError(this.capabilities.backend, 'acquire', this.name);
    }
    return this.createLease(grant, this.hooks(), this.settings);
  }

  /**
   * Makes the lease for a grant. Override it to return a subclass of `ManagedLease` that exposes facts of
   * the backend's grant (a shared-memory lock's `previousOwnerDied`, say); pass the arguments through.
   */
  protected createLease(
    grant: G,
    hooks: LeaseHooks<G>,
    settings: LeaseSettings<G> | undefined,
  ): ManagedLease<G> {
    return new ManagedLease(hooks, grant, settings);
  }

  private hooks(): LeaseHooks<G> {
    if (this.hooksCache === undefined) {
      this.hooksCache = {
        name: this.name,
        backend: this.capabilities.backend,
        release: (grant) => this.releaseGrant(grant),
        extend:
          this.extendGrant === undefined ? undefined : (grant, ttlMs) => this.extendGrant!(grant, ttlMs),
        registry: this.owner?.leases,
        ttlRule: this.capabilities.ttl,
        safeDeadline:
          this.grantSafeDeadline === undefined ? undefined : (grant) => this.grantSafeDeadline!(grant),
      };
    }
    return this.hooksCache;
  }

  /**
   * The lock is held and the caller may not wait: a timeout of 0, or a backend that never waits
   * (`capabilities.waiting: 'none'`), which is asked to wait for longer than 0.
   */
  private heldError(timeoutMs: number | undefined): LockError {
    if (timeoutMs !== 0 && this.capabilities.waiting === 'none') {
      return new UnsupportedCapabilityError(
        this.capabilities.backend,
        'waiting',
        'the lock is held and this backend never waits; use tryAcquire(), or acquire({ timeoutMs: 0 })',
        this.name,
      );
    }
    return this.timeoutError(0);
  }

  private timeoutError(timeoutMs: number): LockTimeoutError {
    return new LockTimeoutError(this.name, timeoutMs);
  }

  private backendError(operation: string, error: unknown): unknown {
    if (LockError.isInstance(error)) return error;
    return new LockBackendError(this.capabilities.backend, operation, { lockName: this.name, cause: error });
  }
}
