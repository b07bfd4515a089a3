import { LockBackendError } from '@lock/core';

const marker = Symbol.for('@lock/redis.RedlockQuorumError');

/** How one Redlock instance answered. */
export interface RedlockVote {
  /** `host:port` (or `#index` when unknown). */
  endpoint: string;
  /** `granted`: it set the key for us; `held`: another owner holds it there; `error`: no usable answer. */
  outcome: 'granted' | 'held' | 'error';
  /** The error's message, for `error`. */
  error?: string | undefined;
}

/**
 * A Redlock operation could not reach its quorum because instances failed or did not answer in time (as
 * opposed to the lock being held by another owner, which is a timeout or a `null` from `tryAcquire`). The
 * message and `votes` say which instance voted how.
 */
export class RedlockQuorumError extends LockBackendError {
  /** @internal */
  readonly [marker] = true;
  /** One entry per instance, in configuration order. */
  readonly votes: readonly RedlockVote[];
  /** Votes needed: a majority of the instances. */
  readonly quorum: number;

  constructor(
    lockName: string,
    operation: string,
    votes: readonly RedlockVote[],
    quorum: number,
    extra = '',
  ) {
    const granted = votes.filter((vote) => vote.outcome === 'granted').length;
    const list = votes
      .map((vote) => `${vote.endpoint} ${vote.outcome}${vote.error === undefined ? '' : ` (${vote.error})`}`)
      .join(', ');
    super('redlock', operation, {
      lockName,
      detail: `quorum not reached: ${granted} of ${votes.length} instances granted, ${quorum} needed${extra}; votes: ${list}`,
    });
    this.name = 'RedlockQuorumError';
    this.votes = votes;
    this.quorum = quorum;
  }

  static override isInstance(value: unknown): value is RedlockQuorumError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
