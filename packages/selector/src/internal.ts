/**
 * The selector's parts, for its own tests and for tools built on it (the bench, the CLI's formatting). Not the
 * product's API: it may change in any release.
 * @internal
 */
export { checkNeeds, formatMs, formatOps, type NeedsVerdict } from './check-needs.js';
export { DeferredLock } from './deferred-lock.js';
export { BackendEntry } from './entries/backend-entry.js';
export { fnv1a64, mix64 } from './fnv1a64.js';
export { loadKind } from './kinds/load-kind.js';
export { type LockMeasurement, measureLock } from './measure-lock.js';
export { NamePattern } from './name-pattern.js';
export { rankCandidates } from './rank-candidates.js';
export { rendezvousIndex } from './rendezvous-index.js';
export { combineNeeds, resolveNeeds } from './resolve-needs.js';
