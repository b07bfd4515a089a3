export { createProvider, type ZooKeeperConfig } from './create-provider.js';
export { defaultClientFactory } from './default-client-factory.js';
export { protectedPrefix, sortLockNodes } from './lock-node.js';
export { DEFAULT_ROOT, escapeLockName, lockParentPath, validateRoot } from './lock-path.js';
export type {
  ZooKeeperClient,
  ZooKeeperClientFactory,
  ZooKeeperClientSettings,
  ZooKeeperStat,
} from './zookeeper-client.js';
export { ZooKeeperError } from './zookeeper-error.js';
export { type ZooKeeperGrant, ZooKeeperLock } from './zookeeper-lock.js';
export {
  validateConnectionString,
  type ZooKeeperLockStatus,
  ZooKeeperProvider,
  type ZooKeeperProviderOptions,
  type ZooKeeperQueueEntry,
} from './zookeeper-provider.js';
export { SAFE_SESSION_FRACTION, ZooKeeperSession, type ZooKeeperSessionState } from './zookeeper-session.js';
