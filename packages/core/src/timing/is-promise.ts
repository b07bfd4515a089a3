/** True for a promise or any thenable: hooks may answer synchronously (in-process locks) or not. */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
