// Messages between `lock demo` and its worker threads.

/** One worker's share of an experiment. */
export type DemoTask =
  | {
      /** Concurrent read-yield-write increments of one shared counter. */
      kind: 'count';
      lock: 'none' | 'shared-mutex';
      /** The shared-mutex table (when lock is 'shared-mutex'). */
      table: { buffer: SharedArrayBuffer } | undefined;
      /** Int32 counter at index 0. */
      counter: SharedArrayBuffer;
      /** Increments this worker runs at once. */
      increments: number;
    }
  | {
      /** Rounds in which every worker tries the same TryLock at the same moment. */
      kind: 'trylock';
      lock: { buffer: SharedArrayBuffer; byteOffset: number };
      /** Int32 words: [round, attempts in this round, reports in this round]. */
      control: SharedArrayBuffer;
      rounds: number;
      workers: number;
    }
  | {
      /** Buyers racing to take one order: check that it is open, then claim it. */
      kind: 'order';
      lock: 'none' | 'shared-mutex';
      table: { buffer: SharedArrayBuffer } | undefined;
      /** Int32 words: [order owner (0 = open), winners]. */
      order: SharedArrayBuffer;
      /** Buyer ids this worker plays. */
      buyers: number[];
    };

/** What a worker reports back. */
export type DemoReport =
  | { kind: 'count'; done: number }
  | { kind: 'trylock'; executed: number[]; failed: number[] }
  | { kind: 'order'; won: number[]; lost: number[] };
