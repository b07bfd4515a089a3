import { LockBackendError } from '@lock/core';

const marker = Symbol.for('@lock/redis.ReplicaAckError');

/**
 * `WAIT` after a grant was acknowledged by fewer replicas than `waitReplicas` within `waitTimeoutMs`: the
 * grant could be lost by a failover, so it was released and the acquisition failed.
 */
export class ReplicaAckError extends LockBackendError {
  /** @internal */
  readonly [marker] = true;
  /** Replicas required (`waitReplicas`). */
  readonly required: number;
  /** Replicas that acknowledged. */
  readonly acknowledged: number;

  constructor(lockName: string, required: number, acknowledged: number, timeoutMs: number) {
    super('redis', 'acquire', {
      lockName,
      detail: `WAIT ${required} ${timeoutMs}: ${acknowledged} of ${required} replicas acknowledged the grant in ${timeoutMs} ms; the grant was released`,
    });
    this.name = 'ReplicaAckError';
    this.required = required;
    this.acknowledged = acknowledged;
  }

  static override isInstance(value: unknown): value is ReplicaAckError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
