// The whole testkit but the suite (which imports vitest: '@lock/testkit/conformance'). Each folder is also
// a subpath of its own: '@lock/testkit/proxy', '/safety', '/servers', and '/fake-kind' (a backend kind the
// selector has never heard of, for tests of code that reads kinds).
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
export * from './proxy/index.js';
export * from './safety/index.js';
export * from './servers/index.js';
