import { ProviderClosedError } from '@lock/core';
import { noop } from './sleep.js';

/** One wait's signal: the caller's signal or the provider's close, whichever aborts first. @internal */
export interface WaitSignal {
  /** Aborts with the caller's reason, or with a `ProviderClosedError` naming the lock. */
  readonly signal: AbortSignal;
  /** Removes the listeners this wait added; call it when the wait ends, however it ends. */
  unlink(): void;
}

/**
 * Links the caller's signal and the provider's close signal for one wait, by a listener on each that is removed
 * when the wait ends. Not `AbortSignal.any`: on Node 20 a long-lived source signal (the provider's close signal)
 * keeps every signal combined from it reachable, so each wait would leak one for the provider's life. A close
 * aborts the wait with a `ProviderClosedError` naming the lock.
 * @internal
 */
export function waitSignal(
  callerSignal: AbortSignal | undefined,
  closeSignal: AbortSignal,
  lockName: string,
): WaitSignal {
  const controller = new AbortController();
  const closed = () => new ProviderClosedError('etcd', 'acquire', lockName);
  if (closeSignal.aborted) {
    controller.abort(closed());
    return { signal: controller.signal, unlink: noop };
  }
  if (callerSignal?.aborted) {
    controller.abort(callerSignal.reason);
    return { signal: controller.signal, unlink: noop };
  }
  const onClose = () => {
    unlink();
    controller.abort(closed());
  };
  const onCallerAbort = () => {
    unlink();
    controller.abort(callerSignal?.reason);
  };
  const unlink = () => {
    closeSignal.removeEventListener('abort', onClose);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  };
  closeSignal.addEventListener('abort', onClose, { once: true });
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  return { signal: controller.signal, unlink };
}
