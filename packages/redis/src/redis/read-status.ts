import { LockBackendError, type LockParticipant, type LockStatus } from '@lock/core';
import { lockKeys } from '../shared/lock-keys.js';
import { runScript } from '../shared/run-script.js';
import { STATUS } from '../shared/scripts.js';
import type { RedisBackend } from './lock-context.js';

/** How many waiters a status lists; `waiterCount` counts them all. */
export const LISTED_WAITERS = 100;

type StatusReply = [
  holder: string | null,
  fence: string | null,
  pttlMs: number,
  queued: number,
  serverNowMs: number,
  listed: string[],
  deadlines: Array<string | null>,
];

/**
 * Who holds `name` and who waits, in one atomic read: the holder's owner id with its token (the fence
 * counter's value, which only a grant increments), the live waiters in grant order, and the last token issued
 * (also when the lock is free). Queue entries whose deadline has passed are left out: the next handoff skips
 * them as dead. `details`: the lock's `keys`, `holderTtlMs` (the current grant's remaining TTL, null when free)
 * and `expiredWaiters` (entries of waiters that died, among those listed). Rejects with `LockBackendError` when
 * Redis fails or does not answer within `commandTimeoutMs`.
 */
export async function readStatus(backend: RedisBackend, name: string): Promise<LockStatus> {
  const keys = lockKeys(backend.prefix, name);
  let reply: StatusReply;
  try {
    reply = (await backend.deadlines.bound(
      runScript(backend.client, STATUS, keys.all, [LISTED_WAITERS]),
      'status',
    )) as StatusReply;
  } catch (error) {
    throw new LockBackendError('redis', 'status', { lockName: name, cause: error });
  }
  const [holder, fence, pttlMs, queued, serverNowMs, listed, deadlines] = reply;
  const lastToken = fence === null ? null : BigInt(fence);
  const waiters: LockParticipant[] = [];
  let expired = 0;
  listed.forEach((owner, index) => {
    const deadline = Number(/^(\d+):/.exec(deadlines[index] ?? '')?.[1] ?? 0);
    if (deadline >= serverNowMs) waiters.push({ id: owner, token: null });
    else expired += 1;
  });
  return {
    name,
    holders: holder === null ? [] : [{ id: holder, token: lastToken }],
    waiters,
    waiterCount: queued - expired,
    lastToken,
    details: {
      keys: { lock: keys.lock, fence: keys.fence, queue: keys.queue, deadlines: keys.deadlines },
      holderTtlMs: holder === null ? null : pttlMs,
      expiredWaiters: expired,
    },
  };
}
