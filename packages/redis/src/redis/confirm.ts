import { LockBackendError, noop } from '@lock/core';
import type { RedisLockClient } from '../shared/redis-client.js';
import { extend } from './extend.js';
import type { LockContext, RedisGrant } from './lock-context.js';
import { release } from './release.js';
import { ReplicaAckError } from './replica-ack-error.js';

/**
 * Makes a grant, and with `waitReplicas` has it acknowledged first: `WAIT` on the connection that carried the
 * grant; release and fail if fewer replicas acknowledge. `WAIT` counts only the writes of its own connection,
 * and a grant handed over by a release was written by the releaser's connection: so a handed-over grant is first
 * renewed (compare-and-pexpire) on this connection. Replication is one ordered stream, so acknowledging that
 * write acknowledges the handoff too.
 */
export async function confirm(
  lock: LockContext,
  connection: RedisLockClient,
  owner: string,
  token: bigint,
  ttlMs: number,
  startedAt: number,
  handedOver = false,
): Promise<RedisGrant> {
  const grant: RedisGrant = { token, ttlMs, startedAt, owner };
  const { waitReplicas, waitTimeoutMs, deadlines, commandTimeoutMs } = lock.backend;
  if (waitReplicas === 0) return grant;
  let acknowledged: number;
  try {
    if (handedOver) {
      const renewed = await deadlines.bound(
        extend(lock, grant, ttlMs, connection),
        'EXTEND',
        commandTimeoutMs,
      );
      if (!renewed)
        throw new LockBackendError('redis', 'acquire', {
          lockName: lock.name,
          detail: 'the handed-over grant was gone before replicas could acknowledge it',
        });
    }
    acknowledged = Number(
      await deadlines.bound(
        connection.wait(waitReplicas, waitTimeoutMs),
        'WAIT',
        waitTimeoutMs + commandTimeoutMs,
      ),
    );
  } catch (error) {
    await release(lock, grant).catch(noop);
    throw error;
  }
  if (acknowledged < waitReplicas) {
    await release(lock, grant).catch(noop);
    throw new ReplicaAckError(lock.name, waitReplicas, acknowledged, waitTimeoutMs);
  }
  return grant;
}
