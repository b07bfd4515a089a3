/** One signal that aborts when either of two does, and the function that unlinks it. */
export interface LinkedSignal {
  /** Aborts with the reason of whichever source aborted first. */
  readonly signal: AbortSignal;
  /** Removes the listeners on the sources; call it when the wait ends, however it ends. */
  unlink(): void;
}

/**
 * Links a caller's signal with another (a provider's close, a deadline) for one wait, with a listener on each
 * that `unlink()` removes. Not `AbortSignal.any`: on Node 20 a long-lived source keeps every signal combined
 * from it reachable, so a wait per acquisition would leak one signal each for the source's whole life.
 * `reasonOf` may replace the second source's reason (a `ProviderClosedError` naming the lock, say).
 */
export function linkSignals(
  caller: AbortSignal | undefined,
  other: AbortSignal,
  reasonOf: (other: AbortSignal) => unknown = (source) => source.reason,
): LinkedSignal {
  const controller = new AbortController();
  if (other.aborted) {
    controller.abort(reasonOf(other));
    return { signal: controller.signal, unlink: unlinked };
  }
  if (caller?.aborted) {
    controller.abort(caller.reason);
    return { signal: controller.signal, unlink: unlinked };
  }
  const onOther = () => {
    unlink();
    controller.abort(reasonOf(other));
  };
  const onCaller = () => {
    unlink();
    controller.abort(caller?.reason);
  };
  const unlink = () => {
    other.removeEventListener('abort', onOther);
    caller?.removeEventListener('abort', onCaller);
  };
  other.addEventListener('abort', onOther, { once: true });
  caller?.addEventListener('abort', onCaller, { once: true });
  return { signal: controller.signal, unlink };
}

function unlinked(): void {}
