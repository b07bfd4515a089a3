import { BaseProvider, type Capabilities, type LockOptions } from '@lock/core';
import { TryLock } from './try-lock.js';
import { TRY_LOCK_CAPABILITIES, TryLockAdapter, type TryLockSource } from './try-lock-adapter.js';

// Names live in this provider's Map, so its locks exclude each other only inside one process.
const PROVIDER_CAPABILITIES: Capabilities = Object.freeze({ ...TRY_LOCK_CAPABILITIES, scope: 'process' });

/**
 * Named trylocks in one process: every `lock(name)` handle with the same name shares one {@link TryLock}.
 * An entry exists only while held, and a re-created entry starts its fence above every token this
 * provider issued, so tokens keep increasing per name. To contend across workers, share a
 * {@link TryLock}'s `handle` and wrap it in a {@link TryLockAdapter} in each worker.
 */
export class TryLockProvider extends BaseProvider<TryLockAdapter> {
  private readonly entries = new Map<string, TryLock>();
  private readonly source: TryLockSource;

  constructor() {
    super();
    const entries = this.entries;
    const maxToken = { value: 0n };
    this.source = {
      owner: this,
      capabilities: PROVIDER_CAPABILITIES,
      get(name) {
        let lock = entries.get(name);
        if (lock === undefined) {
          lock = new TryLock(undefined, name);
          entries.set(name, lock);
          // Start above every token issued so far: tokens stay monotonic although entries come and go.
          Atomics.store(new BigInt64Array(lock.handle.buffer, 8, 1), 0, maxToken.value);
        }
        return lock;
      },
      released(name, lock) {
        if (lock.token > maxToken.value) maxToken.value = lock.token;
        if (!lock.locked && entries.get(name) === lock) entries.delete(name);
      },
    };
  }

  /** `TRY_LOCK_CAPABILITIES` with `scope: 'process'`; the locks it makes declare the same. */
  get capabilities(): Capabilities {
    return PROVIDER_CAPABILITIES;
  }

  /** Number of names currently held. */
  get size(): number {
    return this.entries.size;
  }

  /** 1 while `name` is held, else 0 (entries exist only while held). */
  pending(name: string): number {
    return this.entries.has(name) ? 1 : 0;
  }

  protected createLock(name: string, options: LockOptions | undefined): TryLockAdapter {
    return new TryLockAdapter(name, undefined, options, this.source);
  }

  protected async closeBackend(): Promise<void> {
    this.entries.clear();
  }
}
