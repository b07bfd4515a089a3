// '@lock/testkit/servers': real servers from the machine's binaries (Redis, etcd, ZooKeeper, PostgreSQL), stopped by PID.
export { childScriptPath } from './child-script.js';
export {
  EtcdCluster,
  EtcdMember,
  type EtcdMemberStatus,
  type EtcdTlsOptions,
  type StartEtcdOptions,
  startEtcd,
} from './etcd-cluster.js';
export { fourLetterWord } from './four-letter-word.js';
export { freePort, freePorts } from './free-ports.js';
export { LineChild } from './line-child.js';
export { INSTALL_COMMAND, MissingBinaryError, requireBinary } from './missing-binary-error.js';
export {
  PostgresServer,
  postgresBinDir,
  type StartPostgresOptions,
  startPostgres,
  startPostgresStandby,
} from './postgres-server.js';
export {
  killRegisteredPidsSync,
  registeredPids,
  registerPid,
  registerTempDir,
  unregisterPid,
  unregisterTempDir,
} from './process-registry.js';
export { RedisInstances, startRedisInstances } from './redis-instances.js';
export {
  RedisReplicaPair,
  type StartRedisReplicaPairOptions,
  startRedisReplicaPair,
} from './redis-replica-pair.js';
export { type RedisRole, RedisServer, type StartRedisOptions, startRedis } from './redis-server.js';
export { parseInfo, RespClient, RespError, type RespReply, respCommand } from './resp-client.js';
export { ServerHandle } from './server-handle.js';
export { ServerProcess, type ServerProcessOptions } from './server-process.js';
export { createTempDir, removeTempDir } from './temp-dir.js';
export {
  type CertificatePair,
  type CreateTestCertificatesOptions,
  createTestCertificates,
  TestCertificates,
} from './test-certificates.js';
export { type WaitUntilOptions, waitUntil } from './wait-until.js';
export {
  type StartZooKeeperOptions,
  startZooKeeper,
  ZooKeeperEnsemble,
  type ZooKeeperMode,
  ZooKeeperServer,
} from './zookeeper-ensemble.js';
