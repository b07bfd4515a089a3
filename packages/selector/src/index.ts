export type { CalibrateOptions, CalibrationResult } from './calibrate.js';
export { configJsonSchema } from './config/config-json-schema.js';
export { readConfigFile } from './config/load-config-file.js';
export { type CheckConfigOptions, type CheckedConfig, checkConfig } from './config/validate-config.js';
export { createSelector } from './create-selector.js';
export { DEFAULT_CONFIG } from './default-config.js';
export { type CatalogEntry, EMBEDDED_KINDS, KIND_CATALOG } from './kinds/catalog.js';
export { installedCatalogKinds } from './kinds/installed-kinds.js';
export { describeNeeds } from './resolve-needs.js';
export { Selector } from './selector.js';
export type { SelectorOptions } from './selector-options.js';
export type {
  BackendConfig,
  BackendKindName,
  CandidateBackend,
  CandidateReport,
  ClusterConfig,
  DeclaredProfile,
  Explanation,
  LockNeeds,
  ModuleLoader,
  PolicyConfig,
  ResolvedNeeds,
  SelectorConfig,
} from './types.js';
