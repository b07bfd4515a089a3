import type { Grant } from '@lock/core';
import type { ZooKeeperSession } from './zookeeper-session.js';

/** One grant: the holder's node and the session that carries it. @internal */
export interface ZooKeeperGrant extends Grant {
  /** The node's czxid: monotonic across the whole ensemble, also across a parent deleted and recreated. */
  readonly token: bigint;
  /** Full path of the holder's ephemeral-sequential node. */
  readonly path: string;
  /** The session that owns the node; the grant is lost with it. */
  readonly session: ZooKeeperSession;
  /** Negotiated session timeout in ms: a dead holder's node goes at most this long after its last contact. */
  readonly ttlMs: number;
  /** Monotonic send time of the create that queued this acquisition. */
  readonly startedAt: number;
}
