import { InvalidArgumentError, type LockOwner } from '@lock/core';
import { MutexState, SemaphoreState, type TokenCounter } from './mutex-state.js';

/**
 * Shared state of the locks of one provider: one entry per name in use (a lock in its two modes, or a
 * semaphore), and the provider-wide token counter. An entry that falls idle stays until the table grows past
 * `sweepAt`, when every idle entry is dropped at once: a hot name keeps its entry (no map insert and delete
 * per acquisition), and one-off names (a lock per user id, say) cost at most twice the busy names plus 64.
 * @internal
 */
export interface MutexTable {
  readonly owner: LockOwner | undefined;
  readonly states: Map<string, MutexState | SemaphoreState>;
  readonly tokens: TokenCounter;
  /** The table size at which idle entries are swept. */
  sweepAt: number;
}

/** A fresh table (what a provider keeps). @internal */
export function createMutexTable(owner: LockOwner | undefined, tokens: TokenCounter): MutexTable {
  return { owner, states: new Map(), tokens, sweepAt: MIN_SWEEP_AT };
}

const MIN_SWEEP_AT = 64;

/**
 * The lock entry of `name`; an idle entry of either kind is replaced, a name busy as a semaphore is refused.
 * @internal
 */
export function lockStateOf(table: MutexTable, name: string): MutexState {
  const state = table.states.get(name);
  if (state instanceof MutexState) return state;
  if (state !== undefined && !state.idle) throw kindMismatch(name, 'a semaphore', 'a lock');
  return put(table, name, new MutexState(table.tokens));
}

/**
 * The semaphore entry of `name` with `permits`; an idle entry (a lock's, or a semaphore's with other permits)
 * is replaced, a name busy as a lock is refused (busy with other permits: the semaphore refuses the permits).
 * @internal
 */
export function semaphoreStateOf(table: MutexTable, name: string, permits: number): SemaphoreState {
  const state = table.states.get(name);
  if (state instanceof SemaphoreState && (!state.idle || state.permits === permits)) return state;
  if (state !== undefined && !state.idle) throw kindMismatch(name, 'a lock', 'a semaphore');
  return put(table, name, new SemaphoreState(permits, table.tokens));
}

/** The number of names with a holder or a waiter. @internal */
export function busyNames(table: MutexTable): number {
  let busy = 0;
  for (const state of table.states.values()) if (!state.idle) busy += 1;
  return busy;
}

function put<T extends MutexState | SemaphoreState>(table: MutexTable, name: string, state: T): T {
  if (table.states.size >= table.sweepAt) {
    for (const [key, entry] of table.states) if (entry.idle) table.states.delete(key);
    table.sweepAt = Math.max(MIN_SWEEP_AT, table.states.size * 2);
  }
  table.states.set(name, state);
  return state;
}

function kindMismatch(name: string, busyAs: string, askedAs: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'name',
    name,
    `a name that is not held or awaited as ${busyAs} (it is now; one name is either a lock, in its read and write modes, or a semaphore), to use it as ${askedAs}`,
    name,
  );
}
