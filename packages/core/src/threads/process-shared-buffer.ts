import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';

/**
 * The one SharedArrayBuffer of the whole process under `key`, for shared-memory locks whose scope is
 * `threads`: the main thread creates it on first use (`create`) and publishes it with `setEnvironmentData`, so
 * every Worker started afterwards (and every Worker those start) receives the same memory. A worker never
 * creates it: memory made there would be that worker's alone, and a lock on it would exclude nothing outside,
 * so without the published buffer it throws what `refuse` returns (an error saying how to share).
 * Version `key` with the memory's layout.
 */
export function processSharedBuffer(
  key: string,
  create: () => SharedArrayBuffer,
  refuse: () => Error,
): SharedArrayBuffer {
  const published = getEnvironmentData(key);
  if (published instanceof SharedArrayBuffer) return published;
  if (!isMainThread) throw refuse();
  const buffer = create();
  setEnvironmentData(key, buffer);
  return buffer;
}
