import { type Lock, type LockOptions, monotonicNow } from '@lock/core';
import { EtcdProvider } from '../src/index.js';
import { type KeyMode, permitMode, sharedMode, waitForDelete } from '../src/internal.js';

/** A provider that can also make locks in broken modes: each mutant is the bug a check must catch. */
export class MutantProvider extends EtcdProvider {
  lockIn(name: string, mode: KeyMode, options?: LockOptions): Lock {
    return this.lockInMode(name, mode, options);
  }
}

/** A writer that holds and waits like a reader: a write grant beside readers. */
export const writeActsAsRead: KeyMode = { ...sharedMode, mode: 'exclusive' };

/**
 * A read-preferring reader: it holds unless the oldest key is a writer's (a holding writer), so a writer
 * that waits behind readers is passed by every reader that comes after it.
 */
export const readerIgnoresWaitingWriters: KeyMode = {
  ...sharedMode,
  holds(context, revision, read) {
    const first = read[0]?.[0];
    sharedMode.holds(context, revision, [read[0] ?? [], []]);
    return first === undefined || !isExclusiveKey(context.keyPrefix, first.key.toString());
  },
};

/**
 * A permit waiter that watches the key `permits` places ahead of it for deletion (the textbook shortcut):
 * when a later holder leaves first, the waiter that should take its permit is watching a holder that stays,
 * so the permit sits idle.
 */
export function watchesPermitsAhead(permits: number): KeyMode {
  return {
    ...permitMode(permits),
    async wait(context, session, _keyBuffer, revision, signal) {
      for (;;) {
        const ahead = await context.backend.client.kv.range({
          key: context.prefix,
          range_end: context.prefixEnd,
          sort_target: 'Create',
          sort_order: 'Ascend',
          keys_only: true,
          max_create_revision: (revision - 1n).toString(),
        });
        if (ahead.kvs.length < permits) return monotonicNow();
        const watched = ahead.kvs[ahead.kvs.length - permits]!;
        await waitForDelete(context, session, watched.key, watched.create_revision, signal);
      }
    },
  };
}

function isExclusiveKey(keyPrefix: string, key: string): boolean {
  const rest = key.slice(keyPrefix.length);
  return !rest.startsWith('read/') && !rest.startsWith('sem/');
}
