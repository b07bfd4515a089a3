import { noop } from '@lock/core';

const KEEP_ALIVE_MS = 2 ** 30;

// One interval per thread, ref'd only while some runtime of this thread has waiters: toggling ref() is a
// flag flip, where creating and clearing a timer per wait would cost on every handoff.
let keepAliveTimer: NodeJS.Timeout | undefined;
let keepAliveCount = 0;

/**
 * Counts a runtime of this thread that starts (+1) or stops (-1) waiting. A pending `Atomics.waitAsync`
 * does not keep a Node thread alive; a ref'd timer does, while anyone waits.
 * @internal
 */
export function keepThreadAlive(delta: 1 | -1): void {
  keepAliveCount += delta;
  if (keepAliveTimer === undefined) keepAliveTimer = setInterval(noop, KEEP_ALIVE_MS).unref();
  if (keepAliveCount === 1 && delta === 1) keepAliveTimer.ref();
  else if (keepAliveCount === 0) keepAliveTimer.unref();
}
