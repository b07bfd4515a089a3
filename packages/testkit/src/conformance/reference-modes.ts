import {
  type AcquireRequest,
  type Grant,
  type LockMode,
  monotonicNow,
  PermitsMismatchError,
} from '@lock/core';
import type { ReferenceMutant } from './reference-lock.js';

/**
 * The reference's grants with modes, for its read-write locks and semaphores: one FIFO queue per name in
 * which a grant is `exclusive` (a writer: no other holder) or `shared` (readers, permits: no exclusive holder,
 * and at most `limit` shared holders; a semaphore's limit is its permits, a read-write lock's is unbounded).
 * Nobody passes a waiter: an arrival that finds a queue waits at its tail even if it could share the current
 * grant, which is what keeps a stream of readers from starving a waiting writer.
 */
export class ReferenceModeTable {
  /** @internal */
  readonly states = new Map<string, ModeState>();
  /** Fence counters outlive the idle state of a name, like a server-side counter key. */
  private readonly fences = new Map<string, bigint>();
  private readonly mutant: ReferenceMutant | undefined;

  constructor(mutant: ReferenceMutant | undefined) {
    this.mutant = mutant;
  }

  /** Grants `mode` on `name` now, queues it (`request.wait`), or says no (`null`). */
  acquire(
    name: string,
    asked: LockMode,
    request: AcquireRequest,
    permits?: number,
  ): ModeGrant | null | Promise<ModeGrant> {
    const mode = this.mutant === 'write-as-read' ? 'shared' : asked;
    const state = this.stateOf(name, permits);
    if (
      permits !== undefined &&
      state.permits !== permits &&
      this.mutant !== 'permits-unchecked' &&
      (state.holders.size > 0 || state.queue.length > 0)
    ) {
      throw new PermitsMismatchError(name, permits, state.permits!);
    }
    const passes = state.queue.length === 0 || (this.mutant === 'readers-pass-writer' && mode === 'shared');
    if (passes && this.admits(state, mode)) return this.grant(name, state, mode, request.ttlMs);
    if (!request.wait) {
      this.forgetIfIdle(name, state);
      return null;
    }
    return new Promise<ModeGrant>((resolve, reject) => {
      const waiter: ModeWaiter = {
        mode,
        ttlMs: request.ttlMs,
        resolve: (grant) => {
          request.signal?.removeEventListener('abort', onAbort);
          resolve(grant);
        },
        reject,
      };
      const onAbort = () => {
        const index = state.queue.indexOf(waiter);
        if (index >= 0) state.queue.splice(index, 1);
        // The aborted waiter may have held back the ones behind it (a writer before readers).
        this.handOff(name, state);
        reject(request.signal?.reason);
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      state.queue.push(waiter);
    });
  }

  /** Ends `grant` if it is still held (compare-and-delete by owner). */
  release(name: string, grant: ModeGrant): boolean {
    const state = this.states.get(name);
    const holder = state?.holders.get(grant.owner);
    if (state === undefined || holder === undefined) return false;
    clearTimeout(holder.timer);
    state.holders.delete(grant.owner);
    this.handOff(name, state);
    return true;
  }

  /** Extends `grant` by `ttlMs` from now if it is still held; never recreates an expired one. */
  extend(name: string, grant: ModeGrant, ttlMs: number): boolean {
    if (this.mutant === 'deaf-renewal') return true;
    const holder = this.states.get(name)?.holders.get(grant.owner);
    if (holder === undefined) return false;
    holder.expiresAt = monotonicNow() + ttlMs;
    this.armExpiry(name, holder);
    return true;
  }

  /** Waiters queued for `name`, of every mode. */
  queueDepth(name: string): number {
    return this.states.get(name)?.queue.length ?? 0;
  }

  /** Entries left for `name`: holders and queued waiters. */
  leftovers(name: string): number {
    const state = this.states.get(name);
    return state === undefined ? 0 : state.holders.size + state.queue.length;
  }

  /** Drops every name, rejecting its waiters. */
  close(): void {
    for (const state of this.states.values()) {
      for (const holder of state.holders.values()) clearTimeout(holder.timer);
      for (const waiter of state.queue) waiter.reject(new Error('reference provider closed'));
    }
    this.states.clear();
  }

  private stateOf(name: string, permits: number | undefined): ModeState {
    let state = this.states.get(name);
    if (state === undefined) {
      state = { holders: new Map(), queue: [], permits };
      this.states.set(name, state);
    }
    return state;
  }

  /** Whether a `mode` grant fits beside the current holders. */
  private admits(state: ModeState, mode: LockMode): boolean {
    if (this.mutant === 'no-lock') return true;
    if (mode === 'exclusive') return state.holders.size === 0;
    for (const holder of state.holders.values()) if (holder.mode === 'exclusive') return false;
    const limit = state.permits === undefined ? Number.POSITIVE_INFINITY : state.permits;
    return state.holders.size < (this.mutant === 'permits-plus-one' ? limit + 1 : limit);
  }

  private grant(name: string, state: ModeState, mode: LockMode, ttlMs: number): ModeGrant {
    const owner = Symbol(name);
    const startedAt = monotonicNow();
    const fence = (this.fences.get(name) ?? 0n) + 1n;
    this.fences.set(name, fence);
    const holder: ModeHolder = { mode, expiresAt: startedAt + ttlMs, timer: undefined, owner };
    state.holders.set(owner, holder);
    this.armExpiry(name, holder);
    return { owner, token: this.mutant === 'fencing-off' ? 1n : fence, ttlMs, startedAt };
  }

  /** Grants the waiters at the head of the queue for as long as they fit (a run of readers at once). */
  private handOff(name: string, state: ModeState): void {
    while (state.queue.length > 0) {
      const index = this.mutant === 'lifo' ? state.queue.length - 1 : 0;
      const next = state.queue[index]!;
      if (!this.admits(state, next.mode)) break;
      state.queue.splice(index, 1);
      next.resolve(this.grant(name, state, next.mode, next.ttlMs));
    }
    this.forgetIfIdle(name, state);
  }

  private forgetIfIdle(name: string, state: ModeState): void {
    if (state.holders.size === 0 && state.queue.length === 0 && this.states.get(name) === state)
      this.states.delete(name);
  }

  private armExpiry(name: string, holder: ModeHolder): void {
    clearTimeout(holder.timer);
    holder.timer = setTimeout(
      () => {
        const state = this.states.get(name);
        if (state?.holders.get(holder.owner) !== holder) return;
        state.holders.delete(holder.owner);
        this.handOff(name, state);
      },
      Math.max(0, holder.expiresAt - monotonicNow()),
    );
    holder.timer.unref();
  }
}

/** A grant of a {@link ReferenceModeTable}. */
export interface ModeGrant extends Grant {
  readonly owner: symbol;
}

interface ModeHolder {
  readonly owner: symbol;
  readonly mode: LockMode;
  expiresAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface ModeWaiter {
  readonly mode: LockMode;
  readonly ttlMs: number;
  resolve(grant: ModeGrant): void;
  reject(reason: unknown): void;
}

interface ModeState {
  readonly holders: Map<symbol, ModeHolder>;
  readonly queue: ModeWaiter[];
  /** A semaphore's permits, as its first holder or waiter gave them; `undefined` for a read-write lock. */
  readonly permits: number | undefined;
}
