export { CommandTimeoutError } from './command-timeout-error.js';
export { createProvider, type RedisProviderConfig } from './create-provider.js';
export type { RedisLockClient } from './redis-client.js';
export { type RedisGrant, RedisLock } from './redis-lock.js';
export {
  RedisLockProvider,
  type RedisLockProviderOptions,
  type RedisLockStatus,
} from './redis-lock-provider.js';
export { type RedlockGrant, RedlockLock } from './redlock-lock.js';
export { RedlockProvider, type RedlockProviderOptions } from './redlock-provider.js';
export { RedlockQuorumError, type RedlockVote } from './redlock-quorum-error.js';
export { ReplicaAckError } from './replica-ack-error.js';
