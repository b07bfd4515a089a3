export {
  FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  type ProxyDirection,
  type ProxyMode,
} from './proxy/fault-proxy.js';
export { childScriptPath } from './servers/child-script.js';
export {
  EtcdCluster,
  EtcdMember,
  type EtcdMemberStatus,
  type StartEtcdOptions,
  startEtcd,
} from './servers/etcd-cluster.js';
export { fourLetterWord } from './servers/four-letter-word.js';
export { freePort, freePorts } from './servers/free-ports.js';
export { INSTALL_COMMAND, MissingBinaryError, requireBinary } from './servers/missing-binary-error.js';
export {
  killRegisteredPidsSync,
  registeredPids,
  registerPid,
  unregisterPid,
} from './servers/process-registry.js';
export { RedisInstances, startRedisInstances } from './servers/redis-instances.js';
export {
  RedisReplicaPair,
  type StartRedisReplicaPairOptions,
  startRedisReplicaPair,
} from './servers/redis-replica-pair.js';
export { type RedisRole, RedisServer, type StartRedisOptions, startRedis } from './servers/redis-server.js';
export { parseInfo, RespClient, RespError, type RespReply, respCommand } from './servers/resp-client.js';
export { ServerProcess, type ServerProcessOptions } from './servers/server-process.js';
export { type WaitUntilOptions, waitUntil } from './servers/wait-until.js';
export {
  type StartZooKeeperOptions,
  startZooKeeper,
  ZooKeeperEnsemble,
  type ZooKeeperMode,
  ZooKeeperServer,
} from './servers/zookeeper-ensemble.js';
// conformance exports below
export {
  BAD_ACQUIRE_OPTIONS,
  BAD_LOCK_OPTIONS,
  BAD_NAMES,
  type ConformanceOptions,
  type CounterResult,
  describeConformance,
  grantOrder,
  ReferenceLock,
  type ReferenceMutant,
  ReferenceProvider,
  type ReferenceProviderOptions,
  runCounter,
  settle,
  sleep,
  strictlyIncreasing,
  uniqueName,
  whenAborted,
} from './conformance/index.js';
