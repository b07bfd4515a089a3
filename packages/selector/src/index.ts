export { BACKEND_KIND_NAMES, BACKEND_KINDS, type BackendKindInfo } from './backend-kinds.js';
export { createSelector } from './create-selector.js';
export { DEFAULT_CONFIG } from './default-config.js';
export { DeferredLock } from './deferred-lock.js';
export { loadConfigFile } from './load-config.js';
export { type LockMeasurement, measureLock } from './measure-lock.js';
export { NamePattern } from './name-pattern.js';
export {
  checkNeeds,
  combineNeeds,
  describeNeeds,
  type NeedsVerdict,
  rankCandidates,
  resolveNeeds,
} from './rank-candidates.js';
export { rendezvousIndex } from './rendezvous.js';
export {
  type CalibrateOptions,
  type CalibrationResult,
  type LockStatus,
  Selector,
  type SelectorOptions,
} from './selector.js';
export { fnv1a64, mix64 } from './stable-hash.js';
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
