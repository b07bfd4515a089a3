import { BaseProvider, type Capabilities, type Lock, type LockOptions } from '@lock/core';
import { busyNames, createMutexTable, type MutexTable } from './keyed-states.js';
import { Mutex, mutexCapabilities, rejectWaiters } from './mutex.js';
import { ReadWriteMutex } from './read-write-mutex.js';
import { Semaphore } from './semaphore.js';

/**
 * Keyed in-process locks: `provider.lock(name)` returns a handle, and every handle with the same name
 * shares one FIFO queue; `readWriteLock(name)` adds the shared mode to that same name (its `write` side
 * excludes exactly as `lock(name)` does), and `semaphore(name, permits)` makes a name with permits. An entry
 * exists only while someone holds or waits, so one-off names (a lock per user id, say) do not accumulate.
 * Tokens come from one provider-wide counter: strictly increasing per name, across modes, even across entry
 * removal. One name is a lock or a semaphore at a time: using it as the other while it is busy is an
 * `InvalidArgumentError` naming `name`.
 */
export class MutexProvider extends BaseProvider<Mutex> {
  private readonly table: MutexTable = createMutexTable(this, { last: 0 });
  private readonly states = this.table.states;

  get capabilities(): Capabilities {
    return mutexCapabilities();
  }

  /** Number of names that currently have a holder or waiters (idle names are dropped as the table grows). */
  get size(): number {
    return busyNames(this.table);
  }

  /** Holders (writers, readers or permit holders) plus waiters of `name` right now (0 when it has no entry). */
  pending(name: string): number {
    const state = this.states.get(name);
    if (state === undefined) return 0;
    if ('permits' in state) return state.taken + state.size;
    return (state.holder === undefined ? 0 : 1) + state.readers + state.size;
  }

  /** Acquisitions of `name` waiting in line right now, of every mode. */
  waiting(name: string): number {
    return this.states.get(name)?.size ?? 0;
  }

  protected createLock(name: string, options: LockOptions | undefined): Mutex {
    return new Mutex(name, options, this.table);
  }

  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteMutex {
    return new ReadWriteMutex(name, options, this.table);
  }

  protected override createSemaphore(name: string, permits: number, options: LockOptions | undefined): Lock {
    return new Semaphore(name, permits, options, this.table);
  }

  protected async closeBackend(): Promise<void> {
    for (const [name, state] of this.states) rejectWaiters(state, mutexCapabilities().backend, name);
    this.states.clear();
  }
}
