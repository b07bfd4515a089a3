export type { BackendKind } from './backend-kind.js';
export { BaseLock, type BaseLockSettings, type LockOwner } from './base-lock.js';
export { BaseProvider } from './base-provider.js';
export {
  type AcquireMessage,
  type LeaseMessage,
  LOCK_ACQUIRE_TRACING,
  LOCK_CHANNELS,
  type LostMessage,
  type RenewMessage,
} from './diagnostics/lock-diagnostics.js';
export { InvalidArgumentError } from './errors/invalid-argument-error.js';
export { InvalidConfigError } from './errors/invalid-config-error.js';
export { LockBackendError } from './errors/lock-backend-error.js';
export { describeValue, LockError, type LockErrorCode, type LockErrorOptions } from './errors/lock-error.js';
export { LockLostError, type LockLostReason } from './errors/lock-lost-error.js';
export { LockNotHeldError } from './errors/lock-not-held-error.js';
export { LockTimeoutError } from './errors/lock-timeout-error.js';
export { type CandidateVerdict, NoBackendSatisfiesError } from './errors/no-backend-satisfies-error.js';
export { PermitsMismatchError } from './errors/permits-mismatch-error.js';
export { ProviderClosedError } from './errors/provider-closed-error.js';
export { UnsupportedCapabilityError } from './errors/unsupported-capability-error.js';
export type { AcquireRequest, Grant, LoseGrant } from './grant.js';
export { defaultDriftMs, LeaseKeeper, type LeaseKeeperOptions } from './lease-keeper.js';
export { type LeaseHooks, type LeaseRegistry, type LeaseSettings, ManagedLease } from './managed-lease.js';
export { MAX_TIMER_MS, monotonicNow } from './monotonic.js';
export { raceSignal } from './race-signal.js';
export {
  holdsSecret,
  isSecretName,
  REDACTED,
  redactedValue,
  redactSettings,
  redactText,
  redactUrl,
} from './redact.js';
export { integerSetting, millisecondsSetting } from './settings/common-settings.js';
export { type ConfigIssue, formatIssue, joinPath } from './settings/config-issue.js';
export { closestKey, unknownKeyExpected } from './settings/did-you-mean.js';
export {
  checkSettings,
  parseSettings,
  type SettingsCheck,
  type SettingsSchema,
  schemaKeys,
} from './settings/parse-settings.js';
export { readPasswordFile, readPemOrFile } from './settings/secret-files.js';
export { settingsObject } from './settings/settings-object.js';
export { hashName64 } from './threads/hash-name64.js';
export { processSharedBuffer } from './threads/process-shared-buffer.js';
export { type SharedBufferShape, sharedBufferOf } from './threads/shared-buffer-of.js';
export { isPromise } from './timing/is-promise.js';
export { type LinkedSignal, linkSignals } from './timing/link-signals.js';
export { noop } from './timing/noop.js';
export { sleep } from './timing/sleep.js';
export { withinGrace } from './timing/within-grace.js';
export { compareTokens, parseToken } from './tokens.js';
export type {
  AcquireOptions,
  Capabilities,
  CapabilityProfile,
  Durability,
  FencingToken,
  InheritableLease,
  Lease,
  LeaseTtlRule,
  Lock,
  LockMode,
  LockOptions,
  LockParticipant,
  LockProvider,
  LockScope,
  LockStatus,
  ProviderDescription,
  ReadWriteLock,
  WaitingStrategy,
} from './types.js';
export {
  MAX_LOCK_NAME_LENGTH,
  MAX_PERMITS,
  sessionTtlRule,
  validateAcquireOptions,
  validateFunction,
  validateKnownKeys,
  validateLeaseTtl,
  validateLockName,
  validateLockOptions,
  validateLockOptionValues,
  validateOptionsObject,
  validatePermits,
  validatePositiveMs,
  validateRenewEvery,
  validateSignal,
  validateTimeoutMs,
} from './validate.js';
