export { createProvider } from './create-provider.js';
export { defaultClientFactory } from './default-client-factory.js';
export type { ZooKeeperProviderDescription } from './describe-servers.js';
export { kinds, type ZooKeeperKind, zkKind } from './kind.js';
export type { ZooKeeperProviderOptions } from './provider-options.js';
export type {
  ZooKeeperLockStatus,
  ZooKeeperQueueEntry,
  ZooKeeperStatusDetails,
} from './read-status.js';
export type { ZooKeeperServerFacts } from './server-facts.js';
export type { ZooKeeperAuthConfig } from './zk-auth.js';
export { zkCapabilities } from './zk-capabilities.js';
export type { ZooKeeperProviderConfig, ZooKeeperSettings } from './zk-settings.js';
export type {
  ZooKeeperAcl,
  ZooKeeperClient,
  ZooKeeperClientFactory,
  ZooKeeperClientSettings,
  ZooKeeperStat,
} from './zookeeper-client.js';
export { ZooKeeperError } from './zookeeper-error.js';
export { ZooKeeperLock } from './zookeeper-lock.js';
export { ZooKeeperProvider, type ZooKeeperReadWriteLock } from './zookeeper-provider.js';
