export { BACKEND_KIND_NAMES, BACKEND_KINDS, type BackendKindInfo } from './backend-kinds.js';
export { checkNeeds, type NeedsVerdict } from './check-needs.js';
export { createSelector } from './create-selector.js';
export { DEFAULT_CONFIG } from './default-config.js';
export { DeferredLock } from './deferred-lock.js';
export { fnv1a64, mix64 } from './fnv1a64.js';
export { loadConfigFile } from './load-config.js';
export { type LockMeasurement, measureLock } from './measure-lock.js';
export { NamePattern } from './name-pattern.js';
export { rankCandidates } from './rank-candidates.js';
export { rendezvousIndex } from './rendezvous-index.js';
export { combineNeeds, describeNeeds, resolveNeeds } from './resolve-needs.js';
export {
  type CalibrateOptions,
  type CalibrationResult,
  type LockStatus,
  Selector,
  type SelectorOptions,
} from './selector.js';
export type {
  BackendConfig,
  BackendKind,
  CandidateBackend,
  CandidateReport,
  ClusterSettings,
  DeclaredProfile,
  Explanation,
  LockNeeds,
  ModuleLoader,
  PolicyConfig,
  ResolvedNeeds,
  SelectorConfig,
} from './types.js';
export { validateConfig } from './validate-config.js';
