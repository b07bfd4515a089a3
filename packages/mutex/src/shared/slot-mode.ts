import { InvalidArgumentError, PermitsMismatchError } from '@lock/core';

/**
 * What a handle asks of its name's slot. A slot's PERMITS word says what its name is (0 a mutex, -1 a
 * read-write lock, N a semaphore of N permits); a handle of another kind is refused, never obeyed.
 *
 * - exclusive (a mutex, or the write side of a read-write lock): holds the head ticket of the queue while it
 *   holds the lock, so nobody behind it is served; a writer also waits, at the head, until no reader holds.
 * - shared (a reader, or a semaphore permit): admitted at the head of the queue when `limit` allows, counted
 *   in its thread's share entry, and passes the head ticket on at once, so the next one may be admitted too.
 * @internal
 */
export interface SlotMode {
  /** The PERMITS word this handle's name must have (or gets, when its slot is new to this kind). */
  readonly permits: number;
  readonly shared: boolean;
  /** Shared holders allowed beside this grant: Infinity for a reader, N for a permit, 0 for a writer. */
  readonly limit: number;
  /** `lease.mode` of its grants. */
  readonly leaseMode: 'exclusive' | 'shared';
}

/** A mutex: one holder. @internal */
export const EXCLUSIVE: SlotMode = Object.freeze({
  permits: 0,
  shared: false,
  limit: Infinity,
  leaseMode: 'exclusive',
});
/** The write side of a read-write lock: one holder, once no reader holds. @internal */
export const WRITE: SlotMode = Object.freeze({
  permits: -1,
  shared: false,
  limit: 0,
  leaseMode: 'exclusive',
});
/** The read side of a read-write lock: any number of holders while no writer holds or waits ahead. @internal */
export const READ: SlotMode = Object.freeze({
  permits: -1,
  shared: true,
  limit: Infinity,
  leaseMode: 'shared',
});

/** A semaphore of `permits` permits. @internal */
export function permitMode(permits: number): SlotMode {
  return Object.freeze({ permits, shared: true, limit: permits, leaseMode: 'shared' });
}

/** The error for a handle of `mode` on a slot whose PERMITS word says `found` (not 0, not the mode's). @internal */
export function modeMismatch(name: string, mode: SlotMode, found: number): Error {
  if (mode.permits > 0 && found > 0) return new PermitsMismatchError(name, mode.permits, found);
  return new InvalidArgumentError(
    'name',
    name,
    `a name that is not used as ${kindOf(found)} in this table (it is; one name is either a lock, a read-write lock or a semaphore while its slot serves it), to use it as ${kindOf(mode.permits)}`,
    name,
  );
}

function kindOf(permits: number): string {
  if (permits === 0) return 'a lock';
  if (permits === -1) return 'a read-write lock';
  return `a semaphore of ${permits} permits`;
}

/**
 * Permits a semaphore admits beyond its limit: 0, except in the test that shows its check turns red when the
 * semaphore admits one too many (set per thread). @internal
 */
export let permitSlack = 0;

/** Sets {@link permitSlack} for this thread (tests only). @internal */
export function setPermitSlack(slack: number): void {
  permitSlack = slack;
}
