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
 * the runner's `args`, it returns a lock and a way to close the connections it opened.
 */
export type LockClientFactory = (args: unknown) => Promise<{ lock: LockLike; close(): Promise<void> | void }>;
