/**
 * Resolves after `ms`, or at once when `signal` aborts (resolving, not rejecting: the caller looks at the
 * signal next). The timer keeps the process alive, as the operation waiting on it should, and the abort
 * clears it, so a wait ended by its signal leaves no timer behind.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
