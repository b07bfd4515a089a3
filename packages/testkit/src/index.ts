// The conformance suite imports vitest, so it has its own entry point: '@lock/testkit/conformance'.
export {
  type CounterResult,
  firstLease,
  grantOrder,
  type LostGrantCheck,
  lostGrantCheck,
  ReferenceLock,
  type ReferenceMutant,
  ReferenceProvider,
  type ReferenceProviderOptions,
  type ReleaseCheck,
  releaseKeepsLaterHolder,
  runCounter,
  settle,
  sleep,
  strictlyIncreasing,
  uniqueName,
  untilQueued,
  whenAborted,
} from './conformance/index.js';
export {
  FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  type ProxyDirection,
  type ProxyMode,
} from './proxy/fault-proxy.js';
export {
  type CheckHistoryOptions,
  checkHistory,
  type OutcomeCounts,
  type SafetyReport,
} from './safety/check-history.js';
export { checkBelievedOverlaps, type OverlapReport } from './safety/checkers/believed-overlaps.js';
export { checkLiveness, type LivenessReport, percentile } from './safety/checkers/liveness.js';
export { checkLostUpdates, type LostUpdateReport } from './safety/checkers/lost-updates.js';
export { type Operation, pairOperations } from './safety/checkers/operations.js';
export { checkStaleWrites, type StaleWriteReport } from './safety/checkers/stale-writes.js';
export { checkTokenOrder, type TokenOrderReport } from './safety/checkers/token-order.js';
export { type ClientMutant, fencingFor } from './safety/client-mutant.js';
export { formatReport } from './safety/format-report.js';
export {
  deserializeState,
  FENCING_MODES,
  type FencingMode,
  GuardedResourceServer,
  type ReadResult,
  type ResourceOperation,
  type ResourceRead,
  type ResourceState,
  type ResourceWrite,
  type SerializedResourceState,
  serializeState,
  type WriteResult,
} from './safety/guarded-resource.js';
export { GuardedResourceClient } from './safety/guarded-resource-client.js';
export {
  type HistoryEvent,
  type HistoryFunction,
  type HistoryType,
  HistoryWriter,
  parseEvent,
  parseHistory,
  readHistory,
  serializeEvent,
  sortHistory,
  writeHistory,
} from './safety/history.js';
export type { LeaseLike, LockClientFactory, LockLike } from './safety/lock-like.js';
export { mulberry32 } from './safety/prng.js';
export {
  type ClientRunControl,
  type ClientRunResult,
  type RunClientsOptions,
  runClients,
} from './safety/run-clients.js';
export { type GuardedResourceProcess, startGuardedResource } from './safety/start-guarded-resource.js';
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
  registerTempDir,
  unregisterPid,
  unregisterTempDir,
} from './servers/process-registry.js';
export { RedisInstances, startRedisInstances } from './servers/redis-instances.js';
export {
  RedisReplicaPair,
  type StartRedisReplicaPairOptions,
  startRedisReplicaPair,
} from './servers/redis-replica-pair.js';
export { type RedisRole, RedisServer, type StartRedisOptions, startRedis } from './servers/redis-server.js';
export { parseInfo, RespClient, RespError, type RespReply, respCommand } from './servers/resp-client.js';
export { ServerHandle } from './servers/server-handle.js';
export { ServerProcess, type ServerProcessOptions } from './servers/server-process.js';
export { createTempDir, removeTempDir } from './servers/temp-dir.js';
export { type WaitUntilOptions, waitUntil } from './servers/wait-until.js';
export {
  type StartZooKeeperOptions,
  startZooKeeper,
  ZooKeeperEnsemble,
  type ZooKeeperMode,
  ZooKeeperServer,
} from './servers/zookeeper-ensemble.js';
