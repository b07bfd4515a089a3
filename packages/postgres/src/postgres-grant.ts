import type { Grant, LockMode } from '@lock/core';
import type { PostgresSession } from './postgres-session.js';

/** One grant: an advisory lock held through one session, with the token its grant statement minted. @internal */
export interface PostgresGrant extends Grant {
  readonly token: bigint;
  readonly ttlMs: number;
  /** The session that holds the advisory lock; the grant is lost when it ends. */
  readonly session: PostgresSession;
  /** The advisory key. */
  readonly key: bigint;
  /** Exclusive (a lock, a writer) or shared (a reader). */
  readonly mode: LockMode;
  /** Set once the grant is being released (by the holder, or after a loss): the release in flight. */
  releasing?: Promise<boolean> | undefined;
}
