import { type LockOptions, type ReadWriteLock, validateLockOptions } from '@lock/core';
import type { MutexTable } from './keyed-states.js';
import { Mutex } from './mutex.js';
import { MutexReader } from './mutex-reader.js';
import { MutexState } from './mutex-state.js';

/**
 * An in-process read-write mutex: `read` grants are shared, `write` grants exclude everyone, both are
 * ordinary locks (`acquire`, `tryAcquire`, `withLock`, timeouts, abort, `await using`). Fair across modes:
 * one FIFO queue for both, so a waiting writer holds back the readers that arrive after it and a stream of
 * readers never starves a writer; a writer's release admits the whole run of readers queued behind it at
 * once. Tokens strictly increase over the grants of both modes.
 *
 * `provider.readWriteLock(name)` of a `MutexProvider` gives the same, keyed by name: its `write` side is
 * `provider.lock(name)` itself.
 *
 * @example
 * ```ts
 * const catalog = new ReadWriteMutex('catalog');
 * await catalog.read.withLock(async () => render(await load()));
 * await catalog.write.withLock(async (lease) => save(next, { fence: lease.token }));
 * ```
 */
export class ReadWriteMutex implements ReadWriteLock {
  readonly name: string;
  /** Shared grants (readers). */
  readonly read: MutexReader;
  /** Exclusive grants (writers): a `Mutex` that also excludes the readers. */
  readonly write: Mutex;

  /**
   * @param name - Used in errors and `lease.name`; defaults to `'read-write-mutex'`.
   * @param options - As for `Mutex` (`maxHoldMs`; `ttlMs` and `renewEveryMs` are accepted and ignored).
   * @param table - Internal: the provider's keyed table.
   */
  constructor(name = 'read-write-mutex', options?: LockOptions, /** @internal */ table?: MutexTable) {
    if (table === undefined) validateLockOptions(options, name);
    const place = table ?? new MutexState({ last: 0 });
    this.name = name;
    this.write = new Mutex(name, options, place);
    this.read = new MutexReader(name, options, place);
  }
}
