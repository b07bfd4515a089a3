import { type Lock, type LockOptions, monotonicNow } from '@lock/core';
import type { Etcd3 } from 'etcd3';
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

/**
 * A holder of `holderOf`'s lock (its own 2 s session) and a waiter of `waiterOf`'s with `waitOutRevokedHolders`;
 * then the holder's lease is revoked from outside (what a resumed old leader does, etcd issue 15247) or the
 * holder releases. Returns how many times the waiter waited a vanished holder out before its grant (1 after a
 * revocation, 0 after a release), and whether the holder still believed after a revocation.
 */
export async function waitsOutRevokedHolder(
  admin: Etcd3,
  track: (provider: EtcdProvider) => EtcdProvider,
  name: string,
  holderOf: (provider: EtcdProvider) => Lock,
  waiterOf: (provider: EtcdProvider) => Lock,
  revoke: boolean,
): Promise<{ waits: number; holderHeld: boolean }> {
  const holderSide = track(new EtcdProvider({ client: admin, ttlMs: 2_000 }));
  const holder = await holderOf(holderSide).acquire();
  const careful = track(new EtcdProvider({ client: admin, ttlMs: 2_000, waitOutRevokedHolders: true }));
  const waiting = waiterOf(careful).acquire({ timeoutMs: 20_000 });
  for (let attempt = 0; (await holderSide.status(name)).waiterCount < 1; attempt += 1) {
    if (attempt > 500) throw new Error(`the waiter of ${name} never queued`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (revoke) {
    await admin.leaseClient.leaseRevoke({ ID: ((await holderSide.sessionLeaseId()) as bigint).toString() });
  } else {
    await holder.release();
  }
  const lease = await waiting;
  await lease.release();
  return { waits: careful.stats.revokedHolderWaits, holderHeld: holder.held };
}
