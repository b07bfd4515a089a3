// Entry point '@lock/testkit/conformance': the suite runs inside vitest, so it is kept apart from the
// main entry, which loads without vitest (benchmarks, chaos runs, CommonJS consumers).
export { BAD_ACQUIRE_OPTIONS, BAD_LOCK_OPTIONS, BAD_NAMES } from './conformance/bad-input.js';
export { type ConformanceOptions, describeConformance } from './conformance/describe-conformance.js';
export { BAD_PERMITS } from './conformance/semaphore-cases.js';
