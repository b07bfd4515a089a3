import { InvalidArgumentError, type LockOwner } from '@lock/core';
import { MutexState, SemaphoreState, type TokenCounter } from './mutex-state.js';

/**
 * Shared state of the locks of one provider: one entry per busy name (a lock in its two modes, or a
 * semaphore), and the provider-wide token counter.
 * @internal
 */
export interface MutexTable {
  readonly owner: LockOwner | undefined;
  readonly states: Map<string, MutexState | SemaphoreState>;
  readonly tokens: TokenCounter;
}

/** The lock entry of `name`, made when the name is idle; a name busy as a semaphore is refused. @internal */
export function lockStateOf(table: MutexTable, name: string): MutexState {
  const state = table.states.get(name);
  if (state === undefined) {
    const created = new MutexState(table.tokens);
    table.states.set(name, created);
    return created;
  }
  if (state instanceof MutexState) return state;
  throw kindMismatch(name, 'a semaphore', 'a lock');
}

/** The semaphore entry of `name`, made with `permits` when idle; a name busy as a lock is refused. @internal */
export function semaphoreStateOf(table: MutexTable, name: string, permits: number): SemaphoreState {
  const state = table.states.get(name);
  if (state === undefined) {
    const created = new SemaphoreState(permits, table.tokens);
    table.states.set(name, created);
    return created;
  }
  if (state instanceof SemaphoreState) return state;
  throw kindMismatch(name, 'a lock', 'a semaphore');
}

/**
 * Drops `state` once nobody holds or waits, so one-off names do not accumulate; tokens come from the
 * provider-wide counter, so a re-created entry still issues larger tokens.
 * @internal
 */
export function dropIfIdle(
  table: MutexTable | undefined,
  name: string,
  state: MutexState | SemaphoreState,
): void {
  if (table !== undefined && state.idle && table.states.get(name) === state) table.states.delete(name);
}

function kindMismatch(name: string, busyAs: string, askedAs: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'name',
    name,
    `a name that is not held or awaited as ${busyAs} (it is now; one name is either a lock, in its read and write modes, or a semaphore), to use it as ${askedAs}`,
    name,
  );
}
