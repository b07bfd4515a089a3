export type { RedisLockClient } from './redis-client.js';
export { type RedisGrant, RedisLock } from './redis-lock.js';
export {
  RedisLockProvider,
  type RedisLockProviderOptions,
  type RedisLockStatus,
} from './redis-lock-provider.js';
export { ReplicaAckError } from './replica-ack-error.js';
