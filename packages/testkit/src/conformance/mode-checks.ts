import type { Lease, Lock, ReadWriteLock } from '@lock/core';
import { firstLease, sleep, untilQueued } from './checks.js';
import { Holders } from './holders.js';

/** Counts waiters queued for a name, in every mode (readers, writers, permits). */
export type QueueDepth = ((name: string) => Promise<number>) | undefined;

/** Outcome of {@link runReadWriteCounter}. */
export interface ReadWriteCounterResult {
  /** Writes made; each is a read-wait-write increment of the counter, by a lease not lost at the write. */
  expected: number;
  /** The counter's final value; less than `expected` means a write overlapped another. */
  final: number;
  /**
   * Grants that began while a writer was inside, plus writer grants that began while anyone was inside,
   * counting only holders whose `signal` had not aborted at that grant: two leases held at once. Must be 0.
   */
  overlaps: number;
  /** Grants beside conflicting holders that had all been told they lost their lease (allowed; reported). */
  lostOverlaps: number;
  /** Leases whose `signal` had aborted by the time they were released (allowed by the contract; reported). */
  lostLeases: number;
  /** Why those leases were lost (each distinct `signal.reason` message once). */
  lostReasons: string[];
  /** Writes skipped because the writer's lease was lost before it wrote (a fenced client does the same). */
  skippedWrites: number;
  /** Most readers inside at once. */
  maxReaders: number;
  /** Tokens of every grant (both modes), in the order the contenders saw them granted. */
  tokens: bigint[];
  /** Grants whose token was not above every token seen granted before they were asked for. Must be 0. */
  tokenRegressions: number;
}

/**
 * Token order as a contender can see it: shared grants made in one order on a server may resolve in
 * another at the clients, so "in grant order" is checked in real time. A grant asked for after another was
 * seen granted must carry a higher token (and no token repeats). For exclusive grants this is plain order.
 */
export class TokenOrder {
  /** Tokens in the order they were seen granted. */
  readonly tokens: bigint[] = [];
  regressions = 0;
  private highest: bigint | undefined;

  /** Call as the acquisition is asked for; call the returned function with its token once granted. */
  asked(): (token: bigint) => void {
    const before = this.highest;
    return (token) => {
      if ((before !== undefined && token <= before) || this.tokens.includes(token)) this.regressions += 1;
      this.tokens.push(token);
      if (this.highest === undefined || token > this.highest) this.highest = token;
    };
  }
}

/**
 * Mixed contenders on one read-write lock: contender `i` writes in round `r` when `(i + r) % writeEvery`
 * is 0 and reads otherwise. A write is a read-wait-write increment (lost if anyone writes meanwhile); every
 * grant counts who is inside, so a writer beside any holder, or a reader beside a writer, is an overlap,
 * unless that holder's lease was already lost (see {@link Holders}). A writer whose lease is lost before it
 * writes does not write, as a client that checks its lease must not.
 */
export async function runReadWriteCounter(
  readWriteLock: () => ReadWriteLock,
  options: { contenders: number; rounds: number; writeEvery: number },
): Promise<ReadWriteCounterResult> {
  const inside = { readers: 0 };
  const holders = new Holders<boolean>();
  const order = new TokenOrder();
  const result = { expected: 0, final: 0, overlaps: 0, lostOverlaps: 0, skippedWrites: 0, maxReaders: 0 };
  const contender = async (index: number) => {
    for (let round = 0; round < options.rounds; round++) {
      const writes = (index + round) % options.writeEvery === 0;
      const lock = writes ? readWriteLock().write : readWriteLock().read;
      const granted = order.asked();
      const lease = await lock.acquire();
      granted(lease.token);
      try {
        // A writer conflicts with anyone inside; a reader with writers only.
        const beside = holders.enter(lease, writes, (otherWrites) => writes || otherWrites);
        if (beside.held > 0) result.overlaps += 1;
        else if (beside.lost > 0) result.lostOverlaps += 1;
        if (writes) {
          const read = result.final;
          await sleep(Math.floor(Math.random() * 3));
          if (lease.signal.aborted) result.skippedWrites += 1;
          else {
            result.final = read + 1;
            result.expected += 1;
          }
        } else {
          inside.readers += 1;
          result.maxReaders = Math.max(result.maxReaders, inside.readers);
          await sleep(Math.floor(Math.random() * 3));
          inside.readers -= 1;
        }
      } finally {
        holders.leave(lease);
        await lease.release();
      }
    }
  };
  await Promise.all(Array.from({ length: options.contenders }, (_, index) => contender(index)));
  return {
    ...result,
    lostLeases: holders.lostLeases,
    lostReasons: holders.lostReasons,
    tokens: order.tokens,
    tokenRegressions: order.regressions,
  };
}

/** Outcome of {@link runPermitCounter}. */
export interface PermitCounterResult {
  /** Grants asked for: contenders x rounds. */
  expected: number;
  /** Grants that happened (all of them, when every contender was eventually granted). */
  granted: number;
  /**
   * Most permit holders inside at once, counted exactly at every grant: the new holder and those inside
   * whose `signal` had not aborted (a lost lease's permit may go to another; see {@link Holders}).
   */
  maxConcurrent: number;
  /** Leases whose `signal` had aborted by the time they were released (allowed by the contract; reported). */
  lostLeases: number;
  /** Why those leases were lost (each distinct `signal.reason` message once). */
  lostReasons: string[];
  /** Tokens in the order the contenders saw them granted. */
  tokens: bigint[];
  /** See {@link TokenOrder}: must be 0 where the backend declares fencing. */
  tokenRegressions: number;
}

/** `locks.length` contenders each take a permit `rounds` times, holding it a few ms, counting who is inside. */
export async function runPermitCounter(locks: Lock[], rounds: number): Promise<PermitCounterResult> {
  const state = { maxConcurrent: 0, granted: 0 };
  const holders = new Holders<true>();
  const order = new TokenOrder();
  const contender = async (lock: Lock) => {
    for (let round = 0; round < rounds; round++) {
      const granted = order.asked();
      const lease = await lock.acquire();
      state.granted += 1;
      const beside = holders.enter(lease, true, () => true);
      state.maxConcurrent = Math.max(state.maxConcurrent, 1 + beside.held);
      granted(lease.token);
      await sleep(1 + Math.floor(Math.random() * 3));
      holders.leave(lease);
      await lease.release();
    }
  };
  await Promise.all(locks.map(contender));
  return {
    expected: locks.length * rounds,
    granted: state.granted,
    maxConcurrent: state.maxConcurrent,
    lostLeases: holders.lostLeases,
    lostReasons: holders.lostReasons,
    tokens: order.tokens,
    tokenRegressions: order.regressions,
  };
}

/** What {@link exclusionProbe} saw; a correct read-write lock gives `false, false, false, true`. */
export interface ExclusionProbe {
  readWhileWriting: boolean;
  writeWhileWriting: boolean;
  writeWhileReading: boolean;
  readWhileReading: boolean;
}

/** tryAcquire of each mode while a writer holds, then while a reader holds: which were granted. */
export async function exclusionProbe(readWriteLock: () => ReadWriteLock): Promise<ExclusionProbe> {
  const granted = async (lock: Lock) => {
    const lease = await lock.tryAcquire();
    await lease?.release();
    return lease !== null;
  };
  const writer = await firstLease(readWriteLock().write);
  const readWhileWriting = await granted(readWriteLock().read);
  const writeWhileWriting = await granted(readWriteLock().write);
  await writer.release();
  const reader = await firstLease(readWriteLock().read);
  const writeWhileReading = await granted(readWriteLock().write);
  const readWhileReading = await granted(readWriteLock().read);
  await reader.release();
  return { readWhileWriting, writeWhileWriting, writeWhileReading, readWhileReading };
}

/** What {@link writerAmongReaders} saw; a correct lock gives `false` and `readersBeforeWriter` 1. */
export interface WriterAmongReaders {
  /** A reader's tryAcquire while the writer waited behind the first reader was granted. */
  lateTryReadGranted: boolean;
  /** Readers granted before the writer: the first one (ahead of it), plus any that passed it. */
  readersBeforeWriter: number;
}

/**
 * A continuous stream of readers against one writer: reader 0 holds, the writer queues, then `readers` more
 * readers arrive one at a time, and each arrival (granted or queued) lets the previous reader go, so a
 * reader always holds if readers may pass the writer. The writer must be granted right after reader 0.
 */
export async function writerAmongReaders(
  readWriteLock: () => ReadWriteLock,
  name: string,
  readers: number,
  queueDepth: QueueDepth,
  enqueueDelayMs: number,
): Promise<WriterAmongReaders> {
  const order: string[] = [];
  const first = await readWriteLock().read.acquire();
  order.push('reader');
  let writerLease: Lease | undefined;
  const writer = readWriteLock()
    .write.acquire()
    .then((lease) => {
      order.push('writer');
      writerLease = lease;
    });
  await untilQueued(queueDepth, name, 1, enqueueDelayMs);
  const lateTry = await readWriteLock().read.tryAcquire();
  await lateTry?.release();

  const held: Lease[] = [first];
  const late: Promise<Lease>[] = [];
  let waitingReaders = 0;
  for (let index = 0; index < readers; index++) {
    let granted = false;
    waitingReaders += 1;
    late.push(
      readWriteLock()
        .read.acquire()
        .then((lease) => {
          granted = true;
          waitingReaders -= 1;
          order.push('reader');
          held.push(lease);
          return lease;
        }),
    );
    await untilSettledOrQueued(
      () => granted,
      queueDepth,
      name,
      () => waitingReaders + (writerLease === undefined ? 1 : 0),
      enqueueDelayMs,
    );
    await held.shift()?.release();
  }
  for (const lease of held.splice(0)) await lease.release();
  await writer;
  await writerLease?.release();
  for (const lease of await Promise.all(late)) await lease.release();
  return {
    lateTryReadGranted: lateTry !== null,
    readersBeforeWriter: order.indexOf('writer'),
  };
}

/**
 * Holds a write, queues one acquisition per entry of `pattern` (in that order, each given time to reach the
 * queue), releases, and returns the indexes of `pattern` in grant order. Each grant is held 1 ms.
 */
export async function modeGrantOrder(
  readWriteLock: () => ReadWriteLock,
  name: string,
  pattern: readonly ('read' | 'write')[],
  queueDepth: QueueDepth,
  enqueueDelayMs: number,
): Promise<number[]> {
  const holder = await readWriteLock().write.acquire();
  const order: number[] = [];
  const pending: Promise<void>[] = [];
  for (const [index, mode] of pattern.entries()) {
    pending.push(
      readWriteLock()
        [mode].acquire()
        .then(async (lease) => {
          order.push(index);
          await sleep(1);
          await lease.release();
        }),
    );
    await untilQueued(queueDepth, name, index + 1, enqueueDelayMs);
  }
  await holder.release();
  await Promise.all(pending);
  return order;
}

/**
 * Pairs of `pattern` entries granted against their arrival order, where the order matters: a writer and
 * anyone else. Readers next to each other are granted together, in any order among themselves.
 */
export function crossModeInversions(
  pattern: readonly ('read' | 'write')[],
  order: readonly number[],
): number {
  let inversions = 0;
  for (let before = 0; before < order.length; before++) {
    for (let after = before + 1; after < order.length; after++) {
      const first = order[before]!;
      const second = order[after]!;
      const ordered = pattern[first] === 'write' || pattern[second] === 'write';
      if (ordered && first > second) inversions += 1;
    }
  }
  return inversions;
}

/** Tokens of: two readers held together, then a writer, a reader and a writer, in grant order. */
export async function tokensAcrossModes(readWriteLock: () => ReadWriteLock): Promise<bigint[]> {
  const tokens: bigint[] = [];
  const readers = [await firstLease(readWriteLock().read), await firstLease(readWriteLock().read)];
  tokens.push(...readers.map((lease) => lease.token));
  for (const lease of readers) await lease.release();
  for (const mode of ['write', 'read', 'write'] as const) {
    const lease = await firstLease(readWriteLock()[mode]);
    tokens.push(lease.token);
    await lease.release();
  }
  return tokens;
}

/** Waits until `settled()` or until the queue of `name` holds `depth()` waiters (else sleeps `fallbackMs`). */
export async function untilSettledOrQueued(
  settled: () => boolean,
  queueDepth: QueueDepth,
  name: string,
  depth: () => number,
  fallbackMs: number,
): Promise<void> {
  if (queueDepth === undefined) {
    await sleep(fallbackMs);
    return;
  }
  const until = performance.now() + 10_000;
  while (!settled() && (await queueDepth(name)) < depth()) {
    if (performance.now() > until)
      throw new Error(`an acquisition of ${JSON.stringify(name)} was neither granted nor queued within 10 s`);
    await sleep(2);
  }
}
