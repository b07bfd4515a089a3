/**
 * Sends a request, and once more if it has not been answered after `afterMs`; the first answer wins, and
 * the request fails only when every copy failed. A member that stops answering (paused, cut off) then
 * costs a request `afterMs`, not its deadline: with {@link etcdClientOptions}' breaker the second copy goes to
 * another endpoint, because the one the first copy waits on is skipped once it is slow.
 *
 * Only for requests that may be applied twice: reads, the put-if-absent of a waiter's own key (the second
 * copy finds the key and reads it), and deletions guarded by a create revision. `onHedge` is called when the
 * second copy goes out (the first may still be applied, late).
 * @internal
 */
export function hedged<T>(send: () => Promise<T>, afterMs: number, onHedge?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let copies = 1;
    let failures = 0;
    let settled = false;
    const onAnswer = (value: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const onFailure = (error: unknown) => {
      if (settled) return;
      failures += 1;
      if (failures < copies) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(() => {
      copies = 2;
      onHedge?.();
      send().then(onAnswer, onFailure);
    }, afterMs);
    // The request in flight keeps the process alive; this timer must not do it on its own.
    timer.unref();
    send().then(onAnswer, onFailure);
  });
}
