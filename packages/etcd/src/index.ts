export { etcdClientOptions } from './client-options.js';
export { createProvider, type EtcdProviderConfig } from './create-provider.js';
export { ETCD_MIN_TTL_MS, etcdCapabilities } from './etcd-capabilities.js';
export type { EtcdClient } from './etcd-client.js';
export { EtcdLock } from './etcd-lock.js';
export type { EtcdLockStats } from './etcd-lock-backend.js';
export {
  type EtcdLockEntry,
  EtcdLockProvider,
  type EtcdLockProviderOptions,
  type EtcdLockStatus,
} from './etcd-lock-provider.js';
export { fenceCompare, guardedTxn, lockKey } from './fence.js';
export { escapeLockName, lockPrefix } from './lock-key.js';
export { type EtcdServerInfo, LEASE_REVOCATION_WARNING } from './server-version.js';
