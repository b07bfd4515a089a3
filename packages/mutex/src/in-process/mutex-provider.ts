import { BaseProvider, type Capabilities, type LockOptions } from '@lock/core';
import { Mutex, type MutexTable, mutexCapabilities, rejectWaiters } from './mutex.js';
import type { MutexState, TokenCounter } from './mutex-state.js';

/**
 * Keyed in-process mutexes: `provider.lock(name)` returns a handle, and every handle with the same name
 * shares one FIFO queue. An entry exists only while someone holds or waits, so one-off names (a lock per
 * user id, say) do not accumulate. Tokens come from one provider-wide counter: strictly increasing per
 * name even across entry removal.
 */
export class MutexProvider extends BaseProvider<Mutex> {
  private readonly states = new Map<string, MutexState>();
  private readonly tokens: TokenCounter = { last: 0 };
  private readonly table: MutexTable = {
    owner: this,
    states: this.states,
    tokens: this.tokens,
  };

  get capabilities(): Capabilities {
    return mutexCapabilities();
  }

  /** Number of names that currently have a holder or waiters (the rest take no memory). */
  get size(): number {
    return this.states.size;
  }

  /** Holders plus waiters of `name` right now (0 when the name has no entry). */
  pending(name: string): number {
    const state = this.states.get(name);
    if (state === undefined) return 0;
    return (state.holder === undefined ? 0 : 1) + state.size;
  }

  protected createLock(name: string, options: LockOptions | undefined): Mutex {
    return new Mutex(name, options, this.table);
  }

  protected async closeBackend(): Promise<void> {
    for (const [name, state] of this.states) rejectWaiters(state, mutexCapabilities().backend, name);
    this.states.clear();
  }
}
