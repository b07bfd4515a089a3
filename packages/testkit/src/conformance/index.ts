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
export {
  ReferenceLock,
  type ReferenceMutant,
  ReferenceProvider,
  type ReferenceProviderOptions,
} from './reference-lock.js';
