/**
 * Resolves after `ms`, or at once when `signal` aborts (resolving, not rejecting: the caller looks at the
 * signal next). The timer keeps the process alive, as the operation waiting on it should, and is cleared
 * by the abort: pass the wait's signal (which the provider's close aborts), so a closed provider leaves no
 * timer behind.
 * @internal
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Does nothing (a handler for errors that are expected and already accounted for). @internal */
export function noop(): void {}
