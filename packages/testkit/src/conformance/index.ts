export {
  type CounterResult,
  grantOrder,
  runCounter,
  settle,
  sleep,
  strictlyIncreasing,
  uniqueName,
  whenAborted,
} from './checks.js';
export {
  BAD_ACQUIRE_OPTIONS,
  BAD_LOCK_OPTIONS,
  BAD_NAMES,
  type ConformanceOptions,
  describeConformance,
} from './describe-conformance.js';
export {
  ReferenceLock,
  type ReferenceMutant,
  ReferenceProvider,
  type ReferenceProviderOptions,
} from './reference-lock.js';
