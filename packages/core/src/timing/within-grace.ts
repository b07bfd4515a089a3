/**
 * A bounded wait: settles like `operation`, or with `fallback` once `graceMs` have passed, whichever is first.
 * The operation goes on either way (its late result is dropped); use it for what must not hold a caller up
 * forever, such as a cleanup or a close against a server that does not answer. The timer does not keep the
 * process alive.
 */
export function withinGrace<T, F = T>(
  operation: Promise<T> | undefined,
  graceMs: number,
  fallback: F,
): Promise<T | F> {
  if (operation === undefined) return Promise.resolve(fallback);
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), graceMs);
    timer.unref();
  });
  return Promise.race([operation, grace]).finally(() => clearTimeout(timer));
}
