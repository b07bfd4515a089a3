/**
 * Points of the shared-mutex protocol between two atomic steps, where a thread that is terminated (or
 * throws, or exits) leaves the shared state half-way. Recovery must handle each one; the tests stop a worker
 * at each of them (the hook spins there until `worker.terminate()` lands) to show that it does.
 * @internal
 */
export const Phase = Object.freeze({
  /** A ticket's cell is claimed; NEXT has not moved on yet. */
  TICKET_CLAIMED: 1,
  /** NEXT has moved on past the claimed ticket; the thread has not become holder or started waiting. */
  TICKET_TAKEN: 2,
  /** OWNER records the new holder; the death flag is not read and no token is minted yet. */
  OWNER_RECORDED: 3,
  /** release(): OWNER is cleared; the ticket is not yet done. */
  OWNER_CLEARED: 4,
  /** release(): the ticket is done; SERVING has not moved on. */
  TICKET_DONE: 5,
  /** SERVING has moved on; the thread of the next ticket is not woken yet. */
  SERVING_MOVED: 6,
  /** A waiter has flagged its cell as sleeping; it has not re-checked SERVING or gone to sleep. */
  WAIT_FLAGGED: 7,
  /** A slot held to give it to a new name has an odd generation: its name is being replaced. */
  RENAMING: 8,
  /** The renamed slot's new key is written; it is not yet checked against other slots or confirmed. */
  RENAME_WRITTEN: 9,
  /** A shared grant (reader, permit) is counted in its thread's entry; the head ticket is not passed on yet. */
  SHARE_COUNTED: 10,
  /** A shared grant's count is returned; the head of the queue is not told yet (RELEASES not bumped). */
  SHARE_RETURNED: 11,
  /** The head of the queue waits for shared holders to leave: DRAINING is set, RELEASES not read yet. */
  DRAIN_FLAGGED: 12,
});

/** Called at each {@link Phase} when set; undefined in production (one load and branch per point). @internal */
export let phaseHook: ((phase: number) => void) | undefined;

/** Installs (or removes, with undefined) the phase hook of this thread. @internal */
export function setPhaseHook(hook: ((phase: number) => void) | undefined): void {
  phaseHook = hook;
}
