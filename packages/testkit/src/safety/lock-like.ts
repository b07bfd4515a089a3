/**
 * The least a lock must offer for the safety runner, typed structurally so the testkit does not depend
 * on one build of `@lock/core` (any `Lock` from it fits, and so does a hand-written test lock).
 */
export interface LockLike {
  acquire(options?: { timeoutMs?: number; ttlMs?: number; signal?: AbortSignal }): Promise<LeaseLike>;
}

/** One grant: its fencing token, a signal that aborts when the grant is lost, and release. */
export interface LeaseLike {
  readonly token: bigint;
  readonly signal: AbortSignal;
  release(): Promise<boolean>;
}

/**
 * What a client module exports (as `default` or a named export): called once per client process with
 * the runner's `args` and the client's settings, it returns a way to close the connections it opened and:
 * - `lock`: the lock (a plain run), or the semaphore built with `client.permits` permits (a run with
 *   `permits`);
 * - `read` and `write`: the two sides of one read-write lock (a run with `writeRatio`).
 */
export type LockClientFactory = (
  args: unknown,
  client: LockClientSettings,
) => Promise<{ lock?: LockLike; read?: LockLike; write?: LockLike; close(): Promise<void> | void }>;

/** What a {@link LockClientFactory} is told about its client. */
export interface LockClientSettings {
  /** The client's index, 0-based. */
  proc: number;
  /** With `runClients({ permits })`: the permits to build the semaphore with. */
  permits?: number | undefined;
}
