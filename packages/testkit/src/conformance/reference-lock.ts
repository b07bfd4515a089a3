import {
  type AcquireRequest,
  BaseLock,
  BaseProvider,
  type Capabilities,
  type Grant,
  type Lock,
  type LockOptions,
  monotonicNow,
  type ReadWriteLock,
} from '@lock/core';
import { ReferenceModeLock } from './reference-mode-lock.js';
import { ReferenceModeTable } from './reference-modes.js';

/**
 * Broken variants of the reference lock, used to prove that the conformance checks can fail:
 * - `no-lock`: every acquisition is granted at once (no mutual exclusion);
 * - `fencing-off`: every grant carries token 1 (no monotonic fencing);
 * - `lifo`: waiters are served last-come first-served;
 * - `release-unchecked`: release frees whoever holds the lock (the chapter's plain DEL);
 * - `deaf-renewal`: renewal always says "still held", so a lost grant is never noticed;
 * - `write-as-read`: a read-write lock's write grant is shared like a read grant;
 * - `readers-pass-writer`: a reader that can share the current grant passes a waiting writer;
 * - `permits-plus-one`: a semaphore admits one holder more than its permits;
 * - `permits-unchecked`: a semaphore acquired with other permits than its holders' is not refused.
 *
 * `no-lock`, `fencing-off`, `lifo` and `deaf-renewal` break the read-write locks and semaphores as well.
 */
export type ReferenceMutant =
  | 'no-lock'
  | 'fencing-off'
  | 'lifo'
  | 'release-unchecked'
  | 'deaf-renewal'
  | 'write-as-read'
  | 'readers-pass-writer'
  | 'permits-plus-one'
  | 'permits-unchecked';

/** Settings of a {@link ReferenceProvider}. */
export interface ReferenceProviderOptions {
  /** Turn the reference lock into a broken variant. */
  mutant?: ReferenceMutant | undefined;
  /** Default lease length in ms; leases expire unless renewed (core renews them). Default 30,000. */
  ttlMs?: number | undefined;
  /** Declare (and have) read-write locks. Default true; false to check a backend without them. */
  readWrite?: boolean | undefined;
  /** Declare (and have) semaphores. Default true; false to check a backend without them. */
  semaphore?: boolean | undefined;
}

interface ReferenceGrant extends Grant {
  readonly owner: symbol;
}

interface Waiter {
  request: AcquireRequest;
  resolve(grant: ReferenceGrant): void;
  reject(reason: unknown): void;
}

interface NameState {
  holder: { owner: symbol; expiresAt: number; timer: NodeJS.Timeout | undefined } | undefined;
  queue: Waiter[];
}

/**
 * A tiny, obviously correct lock on `BaseLock`, kept in memory: FIFO queue, fencing counter, leases that
 * expire unless renewed; with read-write locks and semaphores on the same rules (FIFO across modes, one
 * fencing counter per name across modes), each a separate lock from `lock()` of the same name. It exists to prove the conformance suite (the suite must pass on it and fail on its
 * mutants); it is not meant for production use.
 */
export class ReferenceProvider extends BaseProvider<ReferenceLock> {
  readonly capabilities: Capabilities;
  /** @internal */
  readonly states = new Map<string, NameState>();
  /** @internal */
  readonly mutant: ReferenceMutant | undefined;
  /** Fence counters outlive the idle state of a name, like a server-side counter key. */
  private readonly fences = new Map<string, bigint>();
  private readonly ttlMs: number | undefined;
  private readonly readWrites: ReferenceModeTable;
  private readonly semaphores: ReferenceModeTable;

  constructor(options: ReferenceProviderOptions = {}) {
    super();
    this.mutant = options.mutant;
    this.ttlMs = options.ttlMs;
    this.readWrites = new ReferenceModeTable(options.mutant);
    this.semaphores = new ReferenceModeTable(options.mutant);
    this.capabilities = {
      backend: 'reference',
      scope: 'process',
      durability: 'memory',
      waiting: 'queue',
      fifo: true,
      fencing: true,
      leases: true,
      readWrite: options.readWrite ?? true,
      semaphore: options.semaphore ?? true,
    };
  }

  /** Forget the current holder of `name` as if its lease had expired on the server. */
  expire(name: string): void {
    const state = this.states.get(name);
    if (state?.holder === undefined) return;
    clearTimeout(state.holder.timer);
    state.holder = undefined;
    this.handOff(name, state);
  }

  /** Waiters queued for `name`: of its lock, its read-write lock (both modes) and its semaphore. */
  queueDepth(name: string): number {
    const lockDepth = this.states.get(name)?.queue.length ?? 0;
    return lockDepth + this.readWrites.queueDepth(name) + this.semaphores.queueDepth(name);
  }

  /** Entries left for `name`: holders and queued waiters of its lock, read-write lock and semaphore. */
  leftovers(name: string): number {
    const state = this.states.get(name);
    const lockEntries = state === undefined ? 0 : (state.holder === undefined ? 0 : 1) + state.queue.length;
    return lockEntries + this.readWrites.leftovers(name) + this.semaphores.leftovers(name);
  }

  protected createLock(name: string, options: LockOptions | undefined): ReferenceLock {
    return new ReferenceLock(this, name, { defaultTtlMs: this.ttlMs, ...options, owner: this });
  }

  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteLock {
    const settings = { defaultTtlMs: this.ttlMs, ...options, owner: this };
    const side = (mode: 'shared' | 'exclusive') =>
      new ReferenceModeLock(this.readWrites, name, { mode, capabilities: this.capabilities }, settings);
    return { name, read: side('shared'), write: side('exclusive') };
  }

  protected override createSemaphore(name: string, permits: number, options: LockOptions | undefined): Lock {
    const settings = { defaultTtlMs: this.ttlMs, ...options, owner: this };
    const grants = { mode: 'shared' as const, permits, capabilities: this.capabilities };
    return new ReferenceModeLock(this.semaphores, name, grants, settings);
  }

  protected async closeBackend(): Promise<void> {
    this.readWrites.close();
    this.semaphores.close();
    for (const state of this.states.values()) {
      clearTimeout(state.holder?.timer);
      for (const waiter of state.queue) waiter.reject(new Error('reference provider closed'));
    }
    this.states.clear();
  }

  /** @internal */
  state(name: string): NameState {
    let state = this.states.get(name);
    if (state === undefined) {
      state = { holder: undefined, queue: [] };
      this.states.set(name, state);
    }
    return state;
  }

  /** @internal */
  grant(name: string, state: NameState, ttlMs: number): ReferenceGrant {
    const owner = Symbol(name);
    const startedAt = monotonicNow();
    const fence = (this.fences.get(name) ?? 0n) + 1n;
    this.fences.set(name, fence);
    state.holder = { owner, expiresAt: startedAt + ttlMs, timer: undefined };
    this.armExpiry(name, state);
    return { owner, token: this.mutant === 'fencing-off' ? 1n : fence, ttlMs, startedAt };
  }

  /** @internal */
  armExpiry(name: string, state: NameState): void {
    const holder = state.holder;
    if (holder === undefined) return;
    clearTimeout(holder.timer);
    holder.timer = setTimeout(() => this.expire(name), Math.max(0, holder.expiresAt - monotonicNow()));
    holder.timer.unref();
  }

  /** @internal */
  handOff(name: string, state: NameState): void {
    if (state.holder !== undefined) return;
    const next = this.mutant === 'lifo' ? state.queue.pop() : state.queue.shift();
    if (next === undefined) {
      this.states.delete(name);
      return;
    }
    next.resolve(this.grant(name, state, next.request.ttlMs));
  }
}

/** A lock of the {@link ReferenceProvider}. */
export class ReferenceLock extends BaseLock<ReferenceGrant> {
  readonly capabilities: Capabilities;
  private readonly provider: ReferenceProvider;

  constructor(
    provider: ReferenceProvider,
    name: string,
    settings: ConstructorParameters<typeof BaseLock>[1],
  ) {
    super(name, settings);
    this.provider = provider;
    this.capabilities = provider.capabilities;
  }

  protected acquireGrant(request: AcquireRequest): ReferenceGrant | null | Promise<ReferenceGrant | null> {
    const provider = this.provider;
    const state = provider.state(this.name);
    if (provider.mutant === 'no-lock' || (state.holder === undefined && state.queue.length === 0)) {
      return provider.grant(this.name, state, request.ttlMs);
    }
    if (!request.wait) {
      if (state.holder === undefined && state.queue.length === 0) provider.states.delete(this.name);
      return null;
    }
    return new Promise<ReferenceGrant>((resolve, reject) => {
      const waiter: Waiter = {
        request,
        resolve: (grant) => {
          request.signal?.removeEventListener('abort', onAbort);
          resolve(grant);
        },
        reject,
      };
      const onAbort = () => {
        const index = state.queue.indexOf(waiter);
        if (index >= 0) state.queue.splice(index, 1);
        if (state.holder === undefined && state.queue.length === 0) provider.states.delete(this.name);
        reject(request.signal?.reason);
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      state.queue.push(waiter);
    });
  }

  protected releaseGrant(grant: ReferenceGrant): boolean {
    const state = this.provider.states.get(this.name);
    const unchecked = this.provider.mutant === 'release-unchecked' && state?.holder !== undefined;
    if (state?.holder === undefined || (state.holder.owner !== grant.owner && !unchecked)) return false;
    clearTimeout(state.holder.timer);
    state.holder = undefined;
    this.provider.handOff(this.name, state);
    return true;
  }

  protected override async extendGrant(grant: ReferenceGrant, ttlMs: number): Promise<boolean> {
    if (this.provider.mutant === 'deaf-renewal') return true;
    const state = this.provider.states.get(this.name);
    if (state?.holder?.owner !== grant.owner) return false;
    state.holder.expiresAt = monotonicNow() + ttlMs;
    this.provider.armExpiry(this.name, state);
    return true;
  }
}
