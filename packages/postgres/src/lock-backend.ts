import type { Capabilities } from '@lock/core';
import type { KeyTurns } from './key-turns.js';
import type { PostgresSession } from './postgres-session.js';

/** What a {@link PostgresLock} needs from its provider. @internal */
export interface PostgresLockBackend {
  readonly capabilities: Capabilities;
  /** Hashed with each name into its advisory key. */
  readonly namespace: string;
  /** Name of the sequence tokens are drawn from (quoted on use). */
  readonly fenceSequence: string;
  readonly ttlMs: number;
  /** Bound on opening one connection; also how long a waiter retries after its session ended mid-wait. */
  readonly connectTimeoutMs: number;
  /** Local turns per key: one acquisition per key of this provider at the server at a time. */
  readonly turns: KeyTurns;
  /** Aborts when the provider closes. */
  readonly closeSignal: AbortSignal;
  /** The session for non-blocking statements (try-grants, releases of its grants), opened when needed. */
  mainSession(): Promise<PostgresSession>;
  /** A session that holds nothing and runs nothing, for one blocking wait (and the grant it ends in). */
  takeWaitSession(): Promise<PostgresSession>;
  /** Gives a wait session back once it holds nothing. */
  giveBackWaitSession(session: PostgresSession): void;
  /** Cancels the blocking statement running on `session` (an aborted or timed-out wait). */
  cancelWait(session: PostgresSession): Promise<void>;
}
