import type { LockParticipant, LockStatus } from '@lock/core';
import type { EtcdLockBackend } from './etcd-lock-backend.js';
import { modeOfKey } from './key-mode.js';
import { prefixRangeEnd } from './lock-key.js';
import type { EtcdServerInfo } from './server-version.js';

/**
 * A lock's state as etcd sees it: core's {@link LockStatus}, each entry a key with its create revision (always
 * known: it is the token the key holds or will hold), with etcd's own terms in `details`.
 */
export type EtcdLockStatus = LockStatus<EtcdStatusDetails, EtcdQueueEntry> & {
  readonly details: EtcdStatusDetails;
};

/** One key in a lock's queue: `id` is the key, `token` its create revision. */
export type EtcdQueueEntry = LockParticipant & { readonly token: bigint };

/** What `status(name).details` holds for etcd. */
export type EtcdStatusDetails = {
  /** The key prefix contended on (`etcdctl lock` uses the same one for the same name). */
  readonly keyPrefix: string;
  /** The etcd revision the answer was read at. */
  readonly revision: bigint;
  /** The session lease (hex, as in the key's last segment) carrying each key, by key. */
  readonly leases: Readonly<Record<string, string>>;
  /** The server's version and known defects, or `null` when they could not be read. */
  readonly server: EtcdServerInfo | null;
};

/**
 * Reads the queue under `keyPrefix` in one range request: every key, ordered by create revision. The first is
 * the holder (with a read-write lock, every reader before the first writer; with a semaphore, the first
 * `permits` keys), its create revision its fencing token; each waiter's create revision is the token it will
 * hold. Each entry's `mode` is `exclusive` (a lock, a writer, `etcdctl lock`) or `shared` (a reader); a
 * semaphore's entries have none.
 * etcd keeps no token once a key is gone, so `lastToken` is `null`. No entry has an `ageMs`: etcd records no
 * time for a key (its create and mod revisions count changes, not time), a session lease says only how long it
 * has left, and that is reset by every keep-alive, and a key's value is empty (as `etcdctl lock` writes it) or a
 * semaphore's permits.
 * @internal
 */
export async function readStatus(
  backend: EtcdLockBackend,
  name: string,
  keyPrefix: string,
  server: Promise<EtcdServerInfo | null>,
): Promise<EtcdLockStatus> {
  const prefix = Buffer.from(keyPrefix);
  const [reply, serverFacts] = await Promise.all([
    backend.call((options) =>
      backend.client.kv.range(
        {
          key: prefix,
          range_end: prefixRangeEnd(prefix),
          sort_target: 'Create',
          sort_order: 'Ascend',
        },
        options,
      ),
    ),
    server,
  ]);
  const kinds = reply.kvs.map((kv) => modeOfKey(keyPrefix, kv.key.toString()));
  const entries: EtcdQueueEntry[] = reply.kvs.map((kv, index) => {
    const entry = { id: kv.key.toString(), token: BigInt(kv.create_revision) };
    const kind = kinds[index];
    return kind === 'permit' ? entry : { ...entry, mode: kind };
  });
  const leases = Object.fromEntries(
    reply.kvs.map((kv) => [kv.key.toString(), BigInt(kv.lease).toString(16)]),
  );
  // A semaphore's permits are its oldest key's value; its first `permits` keys hold. Otherwise the holders are
  // the first key if it is exclusive, or every reader before the first exclusive key.
  const permits = kinds[0] === 'permit' ? Number(reply.kvs[0]?.value.toString()) : undefined;
  let holding = entries.length === 0 ? 0 : 1;
  if (permits !== undefined) holding = Math.min(permits, entries.length);
  else if (kinds[0] === 'shared') {
    const firstExclusive = kinds.indexOf('exclusive');
    holding = firstExclusive < 0 ? entries.length : firstExclusive;
  }
  const waiters = entries.slice(holding);
  return {
    name,
    holders: entries.slice(0, holding),
    waiters,
    waiterCount: waiters.length,
    lastToken: null,
    ...(permits === undefined ? {} : { permits }),
    details: { keyPrefix, revision: BigInt(reply.header.revision), leases, server: serverFacts },
  };
}
