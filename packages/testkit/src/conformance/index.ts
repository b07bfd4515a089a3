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
  ReferenceLock,
  type ReferenceMutant,
  ReferenceProvider,
  type ReferenceProviderOptions,
} from './reference-lock.js';
