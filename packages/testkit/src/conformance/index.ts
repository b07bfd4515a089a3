export {
  type CounterResult,
  firstLease,
  grantOrder,
  type LostGrantCheck,
  lostGrantCheck,
  type ReleaseCheck,
  releaseKeepsLaterHolder,
  runCounter,
  settle,
  sleep,
  strictlyIncreasing,
  uniqueName,
  untilQueued,
  whenAborted,
} from './checks.js';
export { Holders } from './holders.js';
export {
  crossModeInversions,
  type ExclusionProbe,
  exclusionProbe,
  modeGrantOrder,
  type PermitCounterResult,
  type QueueDepth,
  type ReadWriteCounterResult,
  runPermitCounter,
  runReadWriteCounter,
  TokenOrder,
  tokensAcrossModes,
  type WriterAmongReaders,
  writerAmongReaders,
} from './mode-checks.js';
export {
  type PermitsAtCapacity,
  type PermitsMismatch,
  permitGrantOrder,
  permitsAtCapacity,
  permitsMismatch,
} from './permit-checks.js';
export {
  ReferenceLock,
  type ReferenceMutant,
  ReferenceProvider,
  type ReferenceProviderOptions,
} from './reference-lock.js';
