import type { Grant } from '@lock/core';
import type { EtcdSession } from './etcd-session.js';
import type { Turn } from './turn.js';

/** What an etcd lock hands to core: the holder's key and its create revision (the fencing token). @internal */
export interface EtcdGrant extends Grant {
  /** The create revision of the holder's key. */
  readonly token: bigint;
  /** The session TTL the server granted, in ms. */
  readonly ttlMs: number;
  /** Send time of the request that confirmed the grant (monotonic ms). */
  readonly startedAt: number;
  /** The holder's key, `<prefix><name>/<lease hex>`. */
  readonly key: string;
  /** The session whose lease carries the key. */
  readonly session: EtcdSession;
  /** The local turn and session use held while the key exists. */
  readonly turn: Turn;
  /** Set synchronously when release starts, so a concurrent loss does not clean up twice. */
  releasing: boolean;
  /** The key removal, once started (release, or clean-up after a loss). */
  removal: Promise<boolean | undefined> | undefined;
}

/** The grant for `key`, proved ours by a request sent at `startedAt`. @internal */
export function etcdGrant(
  session: EtcdSession,
  turn: Turn,
  key: string,
  token: bigint,
  startedAt: number,
): EtcdGrant {
  return { token, ttlMs: session.ttlMs, startedAt, key, session, turn, releasing: false, removal: undefined };
}
