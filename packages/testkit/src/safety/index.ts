// '@lock/testkit/safety': the safety checker: a fencing guarded resource, client processes, histories and checkers.
export {
  type CheckHistoryOptions,
  checkHistory,
  type OutcomeCounts,
  type SafetyReport,
} from './check-history.js';
export { checkBelievedOverlaps, type OverlapReport } from './checkers/believed-overlaps.js';
export { checkLiveness, type LivenessReport, percentile } from './checkers/liveness.js';
export { checkLostUpdates, type LostUpdateReport } from './checkers/lost-updates.js';
export { type Operation, pairOperations } from './checkers/operations.js';
export { checkPermitHolders, type PermitHoldersReport } from './checkers/permit-holders.js';
export { checkStaleWrites, type StaleWriteReport } from './checkers/stale-writes.js';
export { checkTokenOrder, type TokenOrderReport } from './checkers/token-order.js';
export { type ClientMutant, fencingFor } from './client-mutant.js';
export { formatReport } from './format-report.js';
export {
  deserializeState,
  FENCING_MODES,
  type FencingMode,
  GuardedResourceServer,
  type ReadMode,
  type ReadResult,
  type ResourceOperation,
  type ResourceRead,
  type ResourceState,
  type ResourceWrite,
  type SerializedResourceState,
  serializeState,
  type WriteResult,
} from './guarded-resource.js';
export { GuardedResourceClient } from './guarded-resource-client.js';
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
} from './history.js';
export type { LeaseLike, LockClientFactory, LockClientSettings, LockLike } from './lock-like.js';
export { mulberry32 } from './prng.js';
export {
  type ClientRunControl,
  type ClientRunResult,
  type RunClientsOptions,
  runClients,
} from './run-clients.js';
export { type GuardedResourceProcess, startGuardedResource } from './start-guarded-resource.js';
