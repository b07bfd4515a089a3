/**
 * Settles like `operation`, or rejects with `signal.reason` as soon as `signal` aborts, whichever comes
 * first. The operation itself goes on: undoing its effect (a grant that still arrives) is the caller's job.
 * Leaves no listener on the signal once settled.
 */
export function raceSignal<T>(operation: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return operation;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    operation.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
