import { Phase, phaseHook } from './phase-hook.js';
import { DRAINING, RELEASES, SELF, type SharedTable } from './shared-table.js';

/**
 * The share entries of one slot: up to `ring` (thread, count) pairs naming the threads that hold shared
 * grants (readers, semaphore permits) and how many each holds. A thread claims one entry (compareExchange
 * of its thread word from 0) while it holds shares and gives it back when its count drops to 0, so the
 * recovery of a dead thread finds its shares by its id and returns them, wherever it stopped. The number of
 * shared holders is the sum of the counts, read only by the thread at the head of the queue, which is the
 * only one that admits: while it decides, counts can only fall.
 * @internal
 */
export class Shares {
  private readonly words: Int32Array;
  private readonly start: number;
  private readonly entries: number;
  private readonly releases: number;
  private readonly draining: number;

  constructor(table: SharedTable, base: number) {
    this.words = table.words;
    this.start = base + table.sharesStart;
    this.entries = table.ring;
    this.releases = base + RELEASES;
    this.draining = base + DRAINING;
  }

  /** Shared grants held now, by every thread. */
  held(): number {
    const words = this.words;
    let sum = 0;
    for (let index = this.start + 1, end = this.start + this.entries * 2; index < end; index += 2) {
      sum += Atomics.load(words, index);
    }
    return sum;
  }

  /**
   * Counts one more share of this thread in `entry` (its entry, or -1 to claim one); returns the entry,
   * or -1 when all `ring` entries belong to other threads.
   */
  add(entry: number): number {
    const words = this.words;
    let index = entry;
    if (index < 0) {
      const first = SELF % this.entries;
      for (let offset = 0; offset < this.entries && index < 0; offset++) {
        const candidate = this.start + ((first + offset) % this.entries) * 2;
        if (Atomics.compareExchange(words, candidate, 0, SELF) === 0) index = candidate;
      }
      if (index < 0) return -1;
    }
    Atomics.add(words, index + 1, 1);
    return index;
  }

  /**
   * Counts one share of this thread less in `entry`, tells the head, and gives the entry back once its count
   * is 0. In that order: a thread that dies between the count and the telling still owns the entry, so its
   * recovery finds it and tells the head for it.
   */
  remove(entry: number): void {
    const words = this.words;
    const left = Atomics.sub(words, entry + 1, 1) - 1;
    if (phaseHook !== undefined) phaseHook(Phase.SHARE_RETURNED);
    this.released();
    if (left === 0) Atomics.store(words, entry, 0);
  }

  /** Tells the head of the queue, if it waits for shared holders to leave, that one did. */
  released(): void {
    Atomics.add(this.words, this.releases, 1);
    if (Atomics.load(this.words, this.draining) !== 0) Atomics.notify(this.words, this.releases);
  }

  /** Returns every share of thread `dead`, and tells the head if there were any. */
  recover(dead: number): void {
    const words = this.words;
    let found = false;
    for (let index = this.start, end = this.start + this.entries * 2; index < end; index += 2) {
      if (Atomics.load(words, index) !== dead) continue;
      // The count first: once the thread word is 0, another thread may claim the entry and count in it.
      Atomics.store(words, index + 1, 0);
      Atomics.compareExchange(words, index, dead, 0);
      found = true;
    }
    if (found) this.released();
  }

  /** Index of the RELEASES word, which the head sleeps on. */
  get releasesIndex(): number {
    return this.releases;
  }

  /** Marks (or unmarks) the head as sleeping on RELEASES. */
  setDraining(on: boolean): void {
    Atomics.store(this.words, this.draining, on ? 1 : 0);
  }

  /** Wakes the head's sleep on RELEASES (its wait ended for another reason: an abort, a close). */
  wake(): void {
    Atomics.notify(this.words, this.releases);
  }
}
