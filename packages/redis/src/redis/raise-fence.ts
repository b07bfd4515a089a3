import { InvalidArgumentError, LockBackendError } from '@lock/core';
import { lockKeys } from '../shared/lock-keys.js';
import { runScript } from '../shared/run-script.js';
import { script } from '../shared/scripts.js';
import type { RedisBackend } from './lock-context.js';

/**
 * Raises a fence counter to ARGV[1] when it is below (decimal texts compared by length, then digit by digit, so
 * values past 2^53 compare exactly); keeps the counter's expiry. Never lowers it.
 */
const RAISE_FENCE = script(`
local floor = ARGV[1]
local current = redis.call('GET', KEYS[1])
if current and (#current > #floor or (#current == #floor and current >= floor)) then return 0 end
redis.call('SET', KEYS[1], floor, 'KEEPTTL')
return 1
`);

/**
 * Makes every later token of `name` (its lock, read-write lock and semaphore share the counter) greater than
 * `atLeast`. Used when a name moves between clusters, so its tokens keep increasing across the move.
 * Rejects with `LockBackendError` when Redis fails or does not answer in time.
 */
export async function raiseFence(backend: RedisBackend, name: string, atLeast: bigint): Promise<void> {
  if (typeof atLeast !== 'bigint' || atLeast < 0n) {
    throw new InvalidArgumentError('atLeast', atLeast, 'a fencing token (a bigint from 0)', name);
  }
  try {
    await backend.deadlines.bound(
      runScript(backend.client, RAISE_FENCE, [lockKeys(backend.prefix, name).fence], [atLeast.toString()]),
      'raiseFence',
    );
  } catch (error) {
    throw new LockBackendError('redis', 'raiseFence', { lockName: name, cause: error });
  }
}
