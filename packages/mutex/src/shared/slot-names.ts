import { hashName64, LockBackendError } from '@lock/core';
import { Phase, phaseHook } from './phase-hook.js';
import { DIED, GEN, PERMITS, RECLAIM_CURSOR, RETIRED_FENCE, type SharedTable } from './shared-table.js';
import { Shares } from './shares.js';
import { TicketQueue } from './ticket-queue.js';

/** Where a name lives now: its slot, and the slot's generation when it was found there. @internal */
export interface SlotPlace {
  readonly slot: number;
  readonly generation: number;
}

/**
 * Key of a slot that serves no name: left by a renaming that found its name already placed elsewhere, or
 * by the recovery of a thread that died renaming. No name hashes to it; the slot is renamed like any idle one.
 * @internal
 */
export const VACANT_KEY = -(2n ** 63n);

/** How many times a name is looked up and placed again when other threads place it at the same moment. */
const RENAME_ATTEMPTS = 16;
/** How long (in loads) a renamer waits for another renamer of the same name in a higher slot to decide. */
const TWIN_WAIT_SPINS = 200_000;

/**
 * Finds the slot of the name whose 64-bit hash is `key`. With `claim`, a name not in the table gets a slot:
 * a never-used one (one compareExchange on its key), or, once every slot has been used, an idle one taken
 * from a name nobody holds or waits for ({@link renameIdleSlot}). Without `claim`, undefined when absent.
 *
 * A slot keeps its name until it is renamed, and renaming bumps its generation, so a handle that found its
 * name at (slot, generation) knows it is still there while the generation is unchanged; a holder checks it
 * while holding, when nobody can rename the slot.
 * @internal
 */
export function findSlot(table: SharedTable, key: bigint, claim: true, lockName?: string): SlotPlace;
export function findSlot(table: SharedTable, key: bigint, claim: false): SlotPlace | undefined;
export function findSlot(
  table: SharedTable,
  key: bigint,
  claim: boolean,
  lockName?: string,
): SlotPlace | undefined {
  for (let attempt = 0; attempt < RENAME_ATTEMPTS; attempt++) {
    const found = probe(table, key, claim);
    if (found !== undefined || !claim) return found;
    const renamed = renameIdleSlot(table, key, lockName);
    if (renamed !== undefined) return renamed;
    // Another thread was placing the same name at the same time: look again (it is probably there now).
  }
  throw new LockBackendError('shared-mutex', 'lock', {
    lockName,
    detail: `no slot of the shared table could be given to this name in ${RENAME_ATTEMPTS} attempts (other threads kept placing it at the same time); try again`,
  });
}

/** The slot of `key` in its probe sequence, claiming a never-used slot when `claim`; undefined if none. */
function probe(table: SharedTable, key: bigint, claim: boolean): SlotPlace | undefined {
  const start = Number(BigInt.asUintN(64, key) % BigInt(table.capacity));
  for (let offset = 0; offset < table.capacity; offset++) {
    const slot = (start + offset) % table.capacity;
    const seen = readName(table, slot);
    if (seen === undefined) continue; // being renamed: not ours as far as anyone can tell yet
    if (seen.key === key) return { slot, generation: seen.generation };
    if (seen.key !== 0n) continue;
    // Slots leave "never used" only once, and renaming starts only when none is left, so a name is never
    // past the first never-used slot of its probe sequence: this is where it goes.
    if (!claim) return undefined;
    const won = Atomics.compareExchange(table.wide, table.keyIndex(slot), 0n, key);
    if (won === 0n || won === key) {
      return { slot, generation: Atomics.load(table.words, genIndex(table, slot)) };
    }
  }
  return undefined;
}

/** The name key and generation of `slot`, read consistently; undefined while it is being renamed. */
function readName(table: SharedTable, slot: number): { key: bigint; generation: number } | undefined {
  const index = genIndex(table, slot);
  const before = Atomics.load(table.words, index);
  if ((before & 1) !== 0) return undefined;
  const key = Atomics.load(table.wide, table.keyIndex(slot));
  return Atomics.load(table.words, index) === before ? { key, generation: before } : undefined;
}

/** The name key of `slot` now (0n for a slot never used). @internal */
export function slotKey(table: SharedTable, slot: number): bigint {
  return Atomics.load(table.wide, table.keyIndex(slot));
}

function genIndex(table: SharedTable, slot: number): number {
  return table.base(slot) + GEN;
}

/**
 * Gives an idle slot to the name `key`: one nobody holds (exclusive or shared), queues for, or owes a death
 * report (DIED set: the next holder of that name must still learn that its previous holder died). The new
 * name starts with no kind (PERMITS 0): its first reader, writer or permit decides it.
 *
 * The renamer takes the slot's lock itself first (a free ticket), so no holder of the old name is inside,
 * and anyone who queued meanwhile sees the new generation when served and looks for its name again. With
 * the slot held it makes the generation odd, writes the new key, looks for the same key in any other slot
 * ({@link mustGiveWay}), and only then makes the generation even; one that must give way empties its slot
 * (VACANT_KEY) and returns undefined, so the caller looks again. No lock is held across the table.
 *
 * Tokens stay monotonic per name: before a slot's generation turns odd, the table's record of retired
 * tokens (RETIRED_FENCE) is raised to the slot's counter, and a renamed slot's counter starts from that
 * record as it is once the new name was checked to live nowhere else (read earlier, it would miss the
 * tokens of the name's stay in another slot that began and ended while this renamer was working). A name
 * that is absent from the table was renamed away (its tokens are in the record) or never placed, so
 * wherever it comes back its tokens continue above every token it was ever given.
 */
function renameIdleSlot(
  table: SharedTable,
  key: bigint,
  lockName: string | undefined,
): SlotPlace | undefined {
  const words = table.words;
  const cursor = Atomics.load(words, RECLAIM_CURSOR);
  for (let offset = 0; offset < table.capacity; offset++) {
    const slot = (cursor + offset) % table.capacity;
    const base = table.base(slot);
    // Never-used slots are not renamed: none is left once renaming starts, and they end probe sequences.
    if (slotKey(table, slot) === 0n || Atomics.load(words, base + DIED) !== 0) continue;
    const queue = new TicketQueue(table, slot);
    const ticket = queue.claimFree();
    if (ticket === undefined) continue;
    // Held now. A death reported just before we claimed must reach the old name: leave the slot to it. Shared
    // holders (readers, permits) hold no ticket: while we hold the head none can be admitted, so count them.
    if (Atomics.load(words, base + DIED) !== 0 || new Shares(table, base).held() !== 0) {
      queue.pass(ticket);
      continue;
    }
    Atomics.store(words, RECLAIM_CURSOR, (slot + 1) % table.capacity);
    const fence = table.fenceIndex(base);
    raiseRetired(table, Atomics.load(table.wide, fence));
    const index = base + GEN;
    const generation = Atomics.load(words, index);
    // Odd from here until the name is confirmed: lookups skip the slot, and the recovery of a thread that
    // dies in between empties it.
    Atomics.store(words, index, (generation + 1) | 0);
    Atomics.store(words, base + PERMITS, 0);
    if (phaseHook !== undefined) phaseHook(Phase.RENAMING);
    Atomics.store(table.wide, table.keyIndex(slot), key);
    if (phaseHook !== undefined) phaseHook(Phase.RENAME_WRITTEN);
    const twin = mustGiveWay(table, key, slot);
    if (twin >= 0) Atomics.store(table.wide, table.keyIndex(slot), VACANT_KEY);
    // The counter starts from the record as it is now, once the name was found nowhere else: the name may
    // have been placed, granted and retired in another slot since the record was raised above.
    else Atomics.store(table.wide, fence, Atomics.load(table.wide, RETIRED_FENCE));
    Atomics.store(words, index, (generation + 2) | 0);
    queue.pass(ticket);
    if (twin < 0) return { slot, generation: (generation + 2) | 0 };
    // Let the other renamer finish before looking again, or we would only get in its way once more.
    awaitDecision(table, key, twin);
    return undefined;
  }
  throw new LockBackendError('shared-mutex', 'lock', {
    lockName,
    detail: `all ${table.capacity} slots of the shared table are in use (held, queued for, or owing a death report to their next holder); create the provider with a larger capacity`,
  });
}

/**
 * The slot the renamer of `slot` (key written, generation still odd) must give way to, because `key` is, or
 * may become, confirmed there; -1 if none. Two renamers of one name each write the key before they look, so at
 * least one sees the other. The rule: give way to a confirmed twin (even generation) and to an unconfirmed
 * twin in a lower slot; for an unconfirmed twin in a higher slot, wait until it gives way (its key changes)
 * or is confirmed (then give way). The higher one never waits for the lower one, so one of them always
 * proceeds; the wait is bounded (a renamer that stalls or dies there costs a retry, never a stuck thread).
 */
function mustGiveWay(table: SharedTable, key: bigint, slot: number): number {
  for (let other = 0; other < table.capacity; other++) {
    if (other === slot) continue;
    for (let spins = 0; ; spins++) {
      if (Atomics.load(table.wide, table.keyIndex(other)) !== key) break;
      if (!isRenaming(table, other) || other < slot || spins >= TWIN_WAIT_SPINS) return other;
    }
  }
  return -1;
}

/** Waits (bounded) until `slot` no longer has `key` half-written: it is confirmed there, or given up. */
function awaitDecision(table: SharedTable, key: bigint, slot: number): void {
  for (let spins = 0; spins < TWIN_WAIT_SPINS; spins++) {
    if (Atomics.load(table.wide, table.keyIndex(slot)) !== key || !isRenaming(table, slot)) return;
  }
}

function isRenaming(table: SharedTable, slot: number): boolean {
  return (Atomics.load(table.words, genIndex(table, slot)) & 1) !== 0;
}

/** Raises RETIRED_FENCE to at least `token` (compareExchange loop). */
function raiseRetired(table: SharedTable, token: bigint): void {
  for (;;) {
    const current = Atomics.load(table.wide, RETIRED_FENCE);
    if (token <= current) return;
    if (Atomics.compareExchange(table.wide, RETIRED_FENCE, current, token) === current) return;
  }
}

/** The slot key of a name: core's 64-bit name hash, never 0 (a slot never used) or VACANT_KEY. @internal */
export function hash64(name: string): bigint {
  const value = hashName64(name);
  return value === 0n || value === VACANT_KEY ? 1n : value;
}
