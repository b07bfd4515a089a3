/**
 * Waits for `work` at most `timeoutMs`; resolves `undefined` (and leaves `work` running) when it takes
 * longer. The CLI bounds what a client library may make it wait for, such as a close or an introspection
 * call against a server that does not answer.
 */
export async function within<T>(work: Promise<T>, timeoutMs: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([work.then((value) => ({ value })), expired]);
  } finally {
    clearTimeout(timer);
  }
}
