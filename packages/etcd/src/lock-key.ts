/**
 * Escapes a lock name for use as one segment of an etcd key. Only `%` and `/` are encoded, so the common
 * names (`orders`, `job-42`) map to themselves and `etcdctl lock orders` contends on the same keys, while
 * `a/b` can never share a prefix with the lock `a`.
 */
export function escapeLockName(name: string): string {
  return name.replace(/%/g, '%25').replace(/\//g, '%2F');
}

/**
 * The key prefix of a lock: `<prefix><escaped name>/`. The trailing `/` keeps `lock` from ever matching the
 * keys of `lock2` (etcd #6278: a waiter watching the wrong key silently degrades into polling or deadlock).
 */
export function lockPrefix(keyPrefix: string, name: string): string {
  return `${keyPrefix}${escapeLockName(name)}/`;
}

/** The end of a prefix range: the prefix with its last byte incremented (etcd's `WithPrefix`). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let index = end.length - 1; index >= 0; index--) {
    if (end[index]! < 0xff) {
      end[index] = end[index]! + 1;
      return end.subarray(0, index + 1);
    }
  }
  // Every byte is 0xff: the range runs to the end of the keyspace.
  return Buffer.from([0]);
}
