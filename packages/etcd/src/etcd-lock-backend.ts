import type { Capabilities } from '@lock/core';
import type { EtcdClient } from './etcd-client.js';
import type { EtcdSession } from './etcd-session.js';
import type { LocalSlot } from './local-slot.js';
import type { WatchStream } from './watch-stream.js';

/** Counters of a provider's waiting, for herd checks and diagnosis. */
export interface EtcdLockStats {
  /** Deletions delivered to waiters (a waiter watches only the key just before its own). */
  watchEvents: number;
  /** Times a waiter was woken by the deletion of the key it watched. */
  wakeups: number;
  /** Times a waiter found its predecessor gone by a read instead (a watch not yet in place, or a lost event). */
  fallbackWakeups: number;
  /** Sessions (leases) granted. */
  sessionsOpened: number;
  /** Sessions that ended other than by `close()` (expired, revoked, or unconfirmed by the deadline). */
  sessionsLost: number;
  /**
   * Sessions revoked once their keys were gone because a write under them had been sent twice (a member that
   * stopped answering may carry the stuck copy out later), and replaced by a new one.
   */
  sessionsRetired: number;
  /**
   * Times a waiter, with `waitOutRevokedHolders`, found the key before it gone together with its lease and
   * waited out that holder's TTL before taking the lock.
   */
  revokedHolderWaits: number;
}

/** What a lock needs from its provider. @internal */
export interface EtcdLockBackend {
  /** The provider's etcd client. */
  readonly client: EtcdClient;
  /** The provider's key prefix (`''` or ending with `/`). */
  readonly keyPrefix: string;
  /** The provider's capabilities (the TTL rule names its session TTL). */
  readonly capabilities: Capabilities;
  /** Waiters wait out a predecessor that vanished with its lease before they take the lock. */
  readonly waitOutRevokedHolders: boolean;
  /** The provider's counters, updated by its locks. */
  readonly stats: EtcdLockStats;
  /** Aborts when the provider closes. */
  readonly closeSignal: AbortSignal;
  /** The provider's one watch stream. */
  readonly watches: WatchStream;
  /** The open session, opening one if needed; `name` is the lock asking (named in a closed provider's error). */
  session(name: string): Promise<EtcdSession>;
  /** The provider's local turn for `name`. */
  slot(name: string): LocalSlot;
  /**
   * Sends one unary request that may be applied twice, hedged (sent again to another endpoint when the first
   * copy is slow) and with the provider's per-call options. `onResent` is called when a copy may still be on
   * its way: the request was hedged, or took longer than one attempt's deadline (etcd3 sent it again).
   */
  call<T>(send: (options: { deadline: number } | undefined) => Promise<T>, onResent?: () => void): Promise<T>;
}

/** One lock's view of its keys, handed to each of its operations. @internal */
export interface LockContext {
  /** The lock name (errors name it). */
  readonly name: string;
  /** The provider's side. */
  readonly backend: EtcdLockBackend;
  /** `<provider prefix><escaped name>/`: every contender's key starts with it (etcdctl's prefix too). */
  readonly keyPrefix: string;
  /** The same as bytes. */
  readonly prefix: Buffer;
  /** The end of the prefix range. */
  readonly prefixEnd: Buffer;
}
