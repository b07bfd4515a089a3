// Not part of the product: `@lock/zk/internal`, what this package's tests (and their child processes) reach
// inside for. Nothing here is covered by semver.
export { connectionStringProblem, servers } from './connection-string.js';
export {
  type LockNode,
  lockNodeSequence,
  parseLockNode,
  permitTag,
  protectedPrefix,
  queueOf,
  SHARED_TAG,
  sortLockNodes,
} from './lock-node.js';
export { escapeLockName, lockParentPath, rootProblem } from './lock-path.js';
export {
  exclusiveMode,
  permitMode,
  type QueueMode,
  sharedMode,
  type Turn,
  WATCH_QUEUE,
} from './queue-mode.js';
export { readServerFacts } from './server-facts.js';
export { CREATOR_ALL_ACL, loadCredentials, type ZooKeeperCredentials } from './zk-auth.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_ROOT,
  DEFAULT_SESSION_TIMEOUT_MS,
  zkSettings,
} from './zk-settings.js';
export { ZK } from './zookeeper-codes.js';
export type { ZooKeeperGrant } from './zookeeper-grant.js';
export { SAFE_SESSION_FRACTION, ZooKeeperSession, type ZooKeeperSessionState } from './zookeeper-session.js';
