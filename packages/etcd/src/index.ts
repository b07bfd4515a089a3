export { etcdClientOptions } from './client-options.js';
export { createProvider, type EtcdProviderConfig } from './create-provider.js';
export type { EtcdClient } from './etcd-client.js';
export { ETCD_CAPABILITIES, EtcdLock, type EtcdLockStats } from './etcd-lock.js';
export {
  type EtcdLockEntry,
  EtcdLockProvider,
  type EtcdLockProviderOptions,
  type EtcdLockStatus,
} from './etcd-lock-provider.js';
export { fenceCompare, guardedTxn, lockKey } from './fence.js';
export { escapeLockName, lockPrefix } from './lock-key.js';
