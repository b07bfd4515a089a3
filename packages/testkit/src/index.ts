// The whole testkit but the suite (which imports vitest: '@lock/testkit/conformance'). Each folder is also
// a subpath of its own: '@lock/testkit/proxy', '/safety', '/servers', and '/fake-kind' (a backend kind the
// selector has never heard of, for tests of code that reads kinds).
export {
  type CounterResult,
  crossModeInversions,
  type ExclusionProbe,
  exclusionProbe,
  firstLease,
  grantOrder,
  type LostGrantCheck,
  lostGrantCheck,
  modeGrantOrder,
  type PermitCounterResult,
  type PermitsAtCapacity,
  type PermitsMismatch,
  permitGrantOrder,
  permitsAtCapacity,
  permitsMismatch,
  type QueueDepth,
  type ReadWriteCounterResult,
  ReferenceLock,
  type ReferenceMutant,
  ReferenceProvider,
  type ReferenceProviderOptions,
  type ReleaseCheck,
  releaseKeepsLaterHolder,
  runCounter,
  runPermitCounter,
  runReadWriteCounter,
  settle,
  sleep,
  strictlyIncreasing,
  TokenOrder,
  tokensAcrossModes,
  uniqueName,
  untilQueued,
  type WriterAmongReaders,
  whenAborted,
  writerAmongReaders,
} from './conformance/index.js';
export * from './proxy/index.js';
export * from './safety/index.js';
export * from './servers/index.js';
