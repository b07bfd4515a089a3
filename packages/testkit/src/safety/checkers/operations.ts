import type { HistoryEvent, HistoryFunction } from '../history.js';

/** An invocation paired with its completion (if any) in one process. */
export interface Operation {
  proc: number | string;
  f: HistoryFunction;
  /** Undefined for a completion recorded without an invoke (e.g. a one-shot fault `info`). */
  invoke: HistoryEvent | undefined;
  /** Undefined while the operation never completed (the process crashed or the run ended). */
  complete: HistoryEvent | undefined;
}

/**
 * Pairs each `invoke` with the next completion of the same function in the same process. A process runs
 * one operation at a time (Jepsen's model), so pairing per (proc, f) is unambiguous.
 */
export function pairOperations(history: readonly HistoryEvent[]): Operation[] {
  const operations: Operation[] = [];
  const pending = new Map<string, Operation>();
  for (const event of history) {
    const key = `${String(event.proc)}\u0000${event.f}`;
    if (event.type === 'invoke') {
      const operation: Operation = { proc: event.proc, f: event.f, invoke: event, complete: undefined };
      pending.set(key, operation);
      operations.push(operation);
      continue;
    }
    const open = pending.get(key);
    if (open !== undefined) {
      open.complete = event;
      pending.delete(key);
    } else {
      operations.push({ proc: event.proc, f: event.f, invoke: undefined, complete: event });
    }
  }
  return operations;
}

/** Nanoseconds (bigint) to milliseconds. */
export function nsToMs(ns: bigint): number {
  return Number(ns) / 1e6;
}
